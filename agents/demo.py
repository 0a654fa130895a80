"""Demo users, one per role, for `make run` on the embedded defaults (development only)."""

from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agents.roles import ADMIN, MANAGER, SUPERVISOR

# username, password, role. Printed by `make run`; refused outside DEBUG.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("supervisor", "supervisor-demo", SUPERVISOR),
    ("manager", "manager-demo", MANAGER),
    ("admin", "admin-demo", ADMIN),
)
# Demo users whose role needs a second factor (DJANGO_REQUIRE_2FA_ROLES) are enrolled with
# this key, RFC 6238's own test key, printed by `make run` for any authenticator app, and get
# fresh recovery codes at every `make run`.
DEMO_TOTP_KEY_HEX = b"12345678901234567890".hex()
DEMO_RECOVERY_CODES = 5


def demo_totp_key() -> str:
    """The demo authenticator key as apps take it (base32)."""
    return b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_users_ensure() -> list[tuple[str, str, str, list[str]]]:
    """Create (or reset) the demo users; return their logins and, for those whose role needs
    a second factor, their fresh recovery codes."""
    user_model = get_user_model()
    logins = []
    for username, password, role in DEMO_USERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        codes = _demo_second_factor(user) if role in settings.REQUIRE_2FA_ROLES else []
        logins.append((username, password, role, codes))
    return logins


def _demo_second_factor(user) -> list[str]:
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(
        user=user, name="Demo authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True
    )
    recovery, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    recovery.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(DEMO_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes
