"""Signing in: the password form (unless DJANGO_PASSWORD_LOGIN=0) and single sign-on.

Single sign-on is mozilla-django-oidc's two views (start: state, nonce and PKCE into the
session, off to the provider; callback: check them, exchange the code, sign in), with the
provider's endpoints from its discovery document and a refusal page that says why instead of
a bare redirect or a 400.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from agents import two_factor
from agents.single_sign_on import (
    REFUSAL_ATTRIBUTE,
    IdentityProviderUnavailable,
    provider_metadata,
    sso_enabled,
)

logger = logging.getLogger(__name__)

UNREACHABLE = "The identity provider could not be reached. Try again shortly."


def sso_refused(request: HttpRequest, reason: str) -> HttpResponse:
    """The page a refused single sign-on ends on: why, and the way back."""
    return render(request, "registration/sso_refused.html", {"reason": reason}, status=403)


class PasswordLoginView(auth_views.LoginView):
    """Django's log-in view; with DJANGO_PASSWORD_LOGIN=0 it only offers single sign-on."""

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            raise PermissionDenied("Password sign-in is turned off: use single sign-on.")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        step = two_factor.second_factor_step(form.get_user())
        if step is None:
            return response
        self.request.session[two_factor.PENDING_KEY] = step
        url_name = "two-factor-verify" if step == two_factor.VERIFY else "two-factor-enrol"
        return redirect(f"{reverse(url_name)}?{urlencode({'next': response['Location']})}")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            password_login=settings.PASSWORD_LOGIN,
            sso_enabled=sso_enabled(),
            sso_provider_name=settings.OIDC_PROVIDER_NAME,
            **kwargs,
        )


class SingleSignOnStartView(OIDCAuthenticationRequestView):
    """GET /accounts/sso/: to the provider's authorization endpoint, with PKCE, state, nonce."""

    def __init__(self, **kwargs):
        # The library reads the endpoint here; ours comes from discovery, in `get`.
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata()["authorization_endpoint"]
        except IdentityProviderUnavailable:
            logger.warning("Single sign-on: the identity provider is unavailable", exc_info=True)
            return sso_refused(request, UNREACHABLE)
        return super().get(request)


class SingleSignOnCallbackView(OIDCAuthenticationCallbackView):
    """GET /accounts/sso/callback/: the provider sends the person back here with a code."""

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # A state this browser never started: a forged or replayed callback.
            logger.warning("Single sign-on refused: %s", exc)
            return sso_refused(
                request, "This sign-in was not started from this browser. Start again."
            )

    def login_failure(self):
        request = self.request
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            reason = "Your account is disabled in this dashboard."
        elif request.GET.get("error"):
            reason = "The identity provider did not sign you in."
        else:
            reason = getattr(request, REFUSAL_ATTRIBUTE, None) or (
                "The sign-in could not be completed. Start again."
            )
        return sso_refused(request, reason)
