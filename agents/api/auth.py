"""The API's authentication as ninja and its OpenAPI schema see it: an HTTP bearer token.

The token itself is checked by `middleware.ApiTokenMiddleware`, before the team scope is set;
this hands ninja the result, and makes the token's user `request.user` for the endpoint (the
permission checks are the pages' `has_perm`)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from agents.models import ApiToken


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = getattr(request, "api_token", None)
        if api_token is None:
            return None
        request.user = api_token.user
        return api_token


def request_token(request: HttpRequest) -> ApiToken:
    """The token the request was made with (every endpoint but the docs needs one)."""
    return request.auth
