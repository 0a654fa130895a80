"""The API's authentication as ninja and its OpenAPI schema see it: an HTTP bearer token, and
the permission an operation needs (the pages' own, `agents.roles`).

The token itself is checked by `middleware.ApiTokenMiddleware`, before the team scope is set;
this hands ninja the result, makes the token's user `request.user` for the endpoint, and
refuses (403) a user whose role lacks the operation's permission before its input is even
read, as `@permission_required` does for a page."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from agents.api.problems import ApiProblem
from agents.models import ApiToken

ROLE_REFUSED = "Your role does not allow this: the same action is refused on the dashboard's pages."


class ApiTokenAuth(HttpBearer):
    def __init__(self, *permissions: str):
        super().__init__()
        self.permissions = permissions

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = getattr(request, "api_token", None)
        if api_token is None:
            return None
        request.user = api_token.user
        if not all(api_token.user.has_perm(permission) for permission in self.permissions):
            raise ApiProblem(403, ROLE_REFUSED)
        return api_token


def needs(*permissions: str) -> ApiTokenAuth:
    """An operation's `auth`: a valid token whose user has every one of `permissions`."""
    return ApiTokenAuth(*permissions)
