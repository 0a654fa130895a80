from django.http import HttpRequest

from agents.roles import ROLE_PERMISSIONS


def navigation(request: HttpRequest) -> dict:
    """The user's role names, for the user menu; permissions themselves are checked in views."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}
    names = [g.name for g in user.groups.all() if g.name in ROLE_PERMISSIONS]
    return {"user_roles": names}
