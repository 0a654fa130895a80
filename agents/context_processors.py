from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from agents.roles import ROLE_PERMISSIONS


def navigation(request: HttpRequest) -> dict:
    """The user's role names, for the user menu; permissions themselves are checked in views.

    Lazy: read only where a template shows the menu, so an htmx partial costs no query for it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}
    return {
        "user_roles": SimpleLazyObject(
            lambda: [g.name for g in user.groups.all() if g.name in ROLE_PERMISSIONS]
        )
    }
