"""The token user's permissions: the pages' own (`agents.roles`), checked per endpoint."""

from __future__ import annotations

from django.http import HttpRequest

from agents.api.problems import ApiProblem


def require_permission(request: HttpRequest, permission: str) -> None:
    """ApiProblem 403 unless the token's user has `permission`, as the page would refuse."""
    if not request.auth.user.has_perm(permission):
        raise ApiProblem(
            403,
            "Your role does not allow this: the same action is refused on the dashboard's pages.",
        )
