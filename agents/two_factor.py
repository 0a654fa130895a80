"""Two-factor sign-in for local accounts: time-based codes (django-otp's TOTP devices) and
single-use recovery codes (its static devices).

The rules, in one place:
- after a right password, a user with an authenticator must give a code (or a recovery code)
  before anything else; a user in a role of DJANGO_REQUIRE_2FA_ROLES without one is taken to
  enrolment first. Until then every other page sends them back (`SecondFactorMiddleware`);
- single sign-on users are not asked: their identity provider decides how they sign in;
- a wrong code counts toward the same lockout as a wrong password: it is reported to
  django-axes as a failed sign-in for that username from that address.
"""

from __future__ import annotations

from base64 import b32encode

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp import user_has_device as django_otp_user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agents.models import SignInEvent
from agents.services.sign_in_record import sign_in_event_record

# The session's step still owed after the password: VERIFY (give a code) or ENROL.
PENDING_KEY = "_second_factor_pending"
VERIFY = "verify"
ENROL = "enrol"
# Ten single-use codes, as most services give: enough for a lost phone and a few sign-ins.
RECOVERY_CODE_COUNT = 10


def second_factor_required(user) -> bool:
    """Whether the user's role obliges them to use a second factor."""
    required = set(settings.REQUIRE_2FA_ROLES)
    return bool(required) and user.groups.filter(name__in=required).exists()


def second_factor_step(user) -> str | None:
    """What a user who has just given the right password still owes: VERIFY, ENROL or None."""
    if user_has_device(user):
        return VERIFY
    if second_factor_required(user):
        return ENROL
    return None


def second_factor_pending(request: HttpRequest) -> str | None:
    """The step this session still owes, if any."""
    return request.session.get(PENDING_KEY)


def enrolment_device(user) -> TOTPDevice:
    """The user's authenticator being enrolled (unconfirmed until a first right code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


def enrolment_confirm(request: HttpRequest, *, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with its first code: its recovery codes, or None if wrong."""
    if not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    recovery, _ = StaticDevice.objects.get_or_create(
        user=device.user, name="Recovery codes", defaults={"confirmed": True}
    )
    recovery.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    second_factor_passed(request, device)
    sign_in_event_record(
        request=request,
        kind=SignInEvent.Kind.ENROLLED,
        method=SignInEvent.Method.CODE,
        user=device.user,
    )
    return codes


def code_verify(request: HttpRequest, *, code: str):
    """The device (authenticator or recovery codes) that accepts `code`, now marked as this
    session's second factor; None for a wrong code, which counts toward the lockout."""
    code = "".join(code.split()).lower()
    user = request.user
    # Each device is locked while its code is checked, so a code cannot be used twice at once
    # (a recovery code in two tabs); django-otp's `for_verify` needs the transaction.
    with transaction.atomic():
        device = next(
            (
                candidate
                for candidate in devices_for_user(user, confirmed=True, for_verify=True)
                if candidate.verify_token(code)
            ),
            None,
        )
    if device is not None:
        second_factor_passed(request, device)
        sign_in_event_record(
            request=request,
            kind=SignInEvent.Kind.SIGNED_IN,
            method=SignInEvent.Method.CODE,
            user=user,
            detail="recovery code" if isinstance(device, StaticDevice) else "authenticator",
        )
        return device
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return None


def second_factor_passed(request: HttpRequest, device) -> None:
    otp_login(request, device)
    request.session.pop(PENDING_KEY, None)


def recovery_codes_left(user) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def device_secret(device: TOTPDevice) -> str:
    """The authenticator's key as apps take it when typed in (base32, in groups of four)."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def user_has_device(user, *, confirmed: bool = True) -> bool:
    return django_otp_user_has_device(user, confirmed=confirmed)


# Pages a session that owes a second factor may still open.
_ALLOWED_WHILE_PENDING = {VERIFY: "two-factor-verify", ENROL: "two-factor-enrol"}
_ALWAYS_ALLOWED = {"logout", "healthz", "readyz", "login"}


class SecondFactorMiddleware:
    """Until the second factor is given (or enrolled), every page leads back to that step."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pending = request.user.is_authenticated and second_factor_pending(request)
        if pending:
            step_url = reverse(_ALLOWED_WHILE_PENDING[pending])
            if request.path != step_url and not self._always_allowed(request):
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(step_url)
                return redirect(step_url)
        return self.get_response(request)

    @staticmethod
    def _always_allowed(request: HttpRequest) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        allowed = {resolve_url(name) for name in _ALWAYS_ALLOWED}
        return request.path in allowed or request.path.startswith(static)
