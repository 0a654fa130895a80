"""Who an API request is: the personal token in `Authorization: Bearer …`, never a session.

Runs right after authentication and django-otp, so that everything after it sees an API request
as anonymous (the session's user never opens the API, and the session is neither read nor
written: no idle clock, no second-factor redirect) and `TeamScopeMiddleware` sets the scope of
the token's user. The token is checked at every request (`api_token_authenticate`), and each
token may make `API_RATE_LIMIT` requests a minute.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from agents.api.problems import problem_response
from agents.services.api_tokens import ApiTokenRefused, api_token_authenticate
from agents.services.cooldown import rate_limit_take

API_PATH_PREFIX = "/api/"
RATE_WINDOW_S = 60


def bearer_token(request: HttpRequest) -> str:
    """The token of an `Authorization: Bearer <token>` header, or ""."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _holds_nul(request: HttpRequest) -> bool:
    return "\x00" in request.path or any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


class ApiTokenMiddleware:
    """For /api/: `request.api_token` (or None, and `request.api_token_refused` saying why),
    `request.user` anonymous; a token over its rate limit gets 429 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_request(request):
            return self.get_response(request)
        request.user = AnonymousUser()
        request.api_token = None
        request.api_token_refused = ""
        if _holds_nul(request):
            # No text field of either database can hold one (PostgreSQL refuses it outright).
            return problem_response(request, 400, "The URL holds a NUL character (%00).")
        if text := bearer_token(request):
            try:
                token = api_token_authenticate(text)
            except ApiTokenRefused as refused:
                request.api_token_refused = refused.message
            else:
                wait = rate_limit_take(
                    bucket=f"api-token:{token.pk}",
                    limit=settings.API_RATE_LIMIT,
                    window_s=RATE_WINDOW_S,
                )
                if wait:
                    return problem_response(
                        request,
                        429,
                        f"This token made more than {settings.API_RATE_LIMIT} requests in a "
                        f"minute; try again in {wait} s.",
                        headers={"Retry-After": str(wait)},
                    )
                request.api_token = token
        return self.get_response(request)
