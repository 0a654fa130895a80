"""What the DeepCall status page shows: how the dashboard is connected, never with what."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from agents.deepcall.errors import DeepCallError
from agents.models import SyncRun
from agents.request_turns import turn_given_up
from agents.team_scope import active_team_scope
from agents.upstream import get_deepcall_client

LAST_CHECK_CACHE_KEY = "deepcall:last-connection-check"
# Long enough to be seen on the next visit; the check is cheap to repeat.
LAST_CHECK_TTL_S = 24 * 3600


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    checked_at: object
    duration_ms: int
    message: str
    admin_hint: str = ""
    code: int | None = None


def upstream_auth_method() -> str:
    """Which credentials are configured, by kind only: they are never shown."""
    if settings.DEEPCALL_SSID:
        return "Session id (DEEPCALL_SSID)"
    if settings.DEEPCALL_USER_ID and settings.DEEPCALL_TOKEN:
        return "User id and token (DEEPCALL_USER_ID, DEEPCALL_TOKEN)"
    return "None configured"


def upstream_status() -> dict:
    """The configured account (host only), the auth method, the last sync and the last check."""
    # The host and port only: a user and password written into the URL stay unshown.
    host = urlsplit(settings.DEEPCALL_API_URL).netloc.rpartition("@")[2]
    return {
        "uses_sandbox": settings.DEEPCALL_USES_SANDBOX,
        "api_host": host,
        "auth_method": upstream_auth_method(),
        "time_zone": settings.DEEPCALL_TIME_ZONE,
        "last_sync": SyncRun.objects.order_by("-started_at").first(),
        "last_successful_sync": SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED)
        .order_by("-started_at")
        .first(),
        "last_check": cache.get(LAST_CHECK_CACHE_KEY),
        # A sync's counts are the whole account's: an admin with a team scope is not told how
        # many agents the account has (as on the home page).
        "account_counts_shown": active_team_scope().is_whole_account,
    }


def upstream_check() -> ConnectionCheck:
    """Make one small Agent/list call (a single agent id) and record whether it worked."""
    started = timezone.now()
    try:
        # Any id will do: an unknown one still proves the credentials and the address.
        with turn_given_up():
            listing = get_deepcall_client().list_agents(agent_id="1")
    except DeepCallError as exc:
        check = ConnectionCheck(
            ok=False,
            checked_at=started,
            duration_ms=_elapsed_ms(started),
            message=exc.user_message,
            admin_hint=exc.admin_hint,
            code=exc.code,
        )
    else:
        check = ConnectionCheck(
            ok=True,
            checked_at=started,
            duration_ms=_elapsed_ms(started),
            message=f"DeepCall answered ({len(listing.agents)} agent(s) for the test id).",
        )
    cache.set(LAST_CHECK_CACHE_KEY, check, LAST_CHECK_TTL_S)
    return check


def _elapsed_ms(started) -> int:
    return int((timezone.now() - started).total_seconds() * 1000)
