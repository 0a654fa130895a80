"""A signed-in person's own account: the account page, changing one's password, signing out
of every other session, and the second factor (give a code, enrol an authenticator)."""

from __future__ import annotations

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from agents import two_factor
from agents.services import user_accounts


@require_http_methods(["GET"])
@login_required
def account_detail(request: HttpRequest) -> HttpResponse:
    """Your account: how you sign in, your second factor, your other sessions."""
    user = request.user
    return render(
        request,
        "registration/account.html",
        {
            "uses_password": user.has_usable_password(),
            "has_authenticator": two_factor.user_has_device(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
            "other_sessions": user_accounts.user_other_session_count(
                user=user, session_key=request.session.session_key
            ),
        },
    )


@require_POST
@login_required
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    """Sign out of every other session of this account; this one stays."""
    ended = user_accounts.user_sessions_end(
        user=request.user, keep_session_key=request.session.session_key
    )
    messages.success(request, f"Signed out of {ended} other session{'s' if ended != 1 else ''}.")
    return redirect("account")


@method_decorator(require_http_methods(["GET", "POST"]), name="dispatch")
class OwnPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (old password, new twice, the validators); local accounts
    only. Django keeps this session and the others stop matching the new password; their
    records are ended too."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("account")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_usable_password():
            messages.info(request, "Your password is managed by your identity provider.")
            return redirect("account")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        user_accounts.user_sessions_end(
            user=self.request.user, keep_session_key=self.request.session.session_key
        )
        messages.success(self.request, "Your password is changed; other sessions are signed out.")
        return response


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )


class EnrolForm(CodeForm):
    """The first code, from the app just set up (no recovery codes exist yet)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label, field.help_text = "Code from the app", ""
        field.widget.attrs["inputmode"] = "numeric"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked_out(request: HttpRequest) -> bool:
    credentials = {"username": request.user.get_username()}
    return getattr(request, "axes_locked_out", False) or AxesProxyHandler.is_locked(
        request, credentials
    )


def _lockout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)


def _code_checked(request: HttpRequest, check):
    """`check()`'s result under the lockout: (result, None), or (None, the lockout page) when
    the user is locked out already or this wrong code locked them out."""
    if _locked_out(request):
        return None, _lockout_page(request)
    result = check()
    if result is None and _locked_out(request):
        return None, _lockout_page(request)
    return result, None


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, or a recovery code."""
    if two_factor.second_factor_pending(request) != two_factor.VERIFY:
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        device, locked = _code_checked(request, lambda: two_factor.code_verify(request, code=code))
        if locked:
            return locked
        if device is not None:
            return redirect(_next_url(request))
        form.add_error("code", "That code is not right. Try the current one.")
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code, confirm with a first code, keep the
    recovery codes shown once."""
    if two_factor.user_has_device(request.user, confirmed=True):
        return redirect(_next_url(request))
    device = two_factor.enrolment_device(request.user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        codes, locked = _code_checked(
            request, lambda: two_factor.enrolment_confirm(request, device=device, code=code)
        )
        if locked:
            return locked
        if codes is not None:
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("code", "That code is not right. Check the app's clock and try again.")
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr_svg),  # noqa: S308 - segno's own SVG of our otpauth URI
            "secret": two_factor.device_secret(device),
            "required": two_factor.second_factor_required(request.user),
            "next": _next_url(request),
        },
    )
