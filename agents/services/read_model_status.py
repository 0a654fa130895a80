"""How fresh the read model is: the last good sync, the last run, any run in progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from agents.models import SyncRun
from agents.services.read_model_cache import read_model_version_seen
from agents.time_ago import age_words

DEFAULT_SYNC_TTL = 60  # seconds; settings.DEEPCALL_SYNC_TTL overrides it
# A queued or running sync older than this is taken as dead (worker killed, no worker at all):
# far longer than a sync of 100,000 agents takes, short enough not to block refreshes for long.
SYNC_RUNNING_TIMEOUT = timedelta(minutes=10)


def sync_ttl() -> int:
    """Seconds after which the local copy counts as stale (settings.DEEPCALL_SYNC_TTL)."""
    return int(getattr(settings, "DEEPCALL_SYNC_TTL", DEFAULT_SYNC_TTL))


@dataclass(frozen=True)
class SyncStatus:
    """How fresh the local copy is, for banners and the home page."""

    last_success: SyncRun | None
    last_run: SyncRun | None  # the last finished run, good or bad
    in_progress: SyncRun | None  # queued or running now
    age_seconds: int | None  # since the last good sync finished; None when there was none
    ttl_seconds: int
    # Since the last run, good or bad, finished; None when none has.
    attempt_age_seconds: int | None = None

    @property
    def has_synced(self) -> bool:
        return self.last_success is not None

    @property
    def read_model_version(self) -> int:
        """Changes whenever a sync changes the read model (0 before the first that did)."""
        return self.last_success.read_model_version if self.last_success is not None else 0

    @property
    def is_due(self) -> bool:
        """Whether the TTL asks for a sync: measured from the last attempt, good or bad, so a
        DeepCall outage is retried once per TTL rather than on every page view."""
        return self.attempt_age_seconds is None or self.attempt_age_seconds >= self.ttl_seconds

    @property
    def last_error(self) -> str:
        """The user message of the last run when it failed after the last good one, else ""."""
        run = self.last_run
        if run is None or run.outcome != SyncRun.Outcome.FAILED:
            return ""
        return run.message

    @property
    def age_text(self) -> str:
        """ "synced 45 s ago", "synced 3 min ago", "never synced"."""
        return (
            "never synced" if self.age_seconds is None else f"synced {age_words(self.age_seconds)}"
        )


# Enough recent runs to find the last good one in one query, even after a run of failures.
RECENT_RUNS = 20


def sync_status() -> SyncStatus:
    """The freshness of the read model: last good sync, last run, any run in progress, age."""
    now = timezone.now()
    recent = list(SyncRun.objects.order_by("-started_at")[:RECENT_RUNS])
    last_success = next((r for r in recent if r.outcome == SyncRun.Outcome.SUCCEEDED), None)
    if last_success is None and len(recent) == RECENT_RUNS:
        last_success = (
            SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED)
            .order_by("-started_at")
            .first()
        )
    last_run = next((r for r in recent if r.outcome != SyncRun.Outcome.RUNNING), None)
    in_progress = next(
        (
            r
            for r in recent
            if r.outcome == SyncRun.Outcome.RUNNING and r.started_at >= now - SYNC_RUNNING_TIMEOUT
        ),
        None,
    )
    read_model_version_seen(last_success.read_model_version if last_success else 0)
    return SyncStatus(
        last_success=last_success,
        last_run=last_run,
        in_progress=in_progress,
        age_seconds=_seconds_since_finished(last_success, now),
        ttl_seconds=sync_ttl(),
        attempt_age_seconds=_seconds_since_finished(last_run, now),
    )


def _seconds_since_finished(run: SyncRun | None, now: datetime) -> int | None:
    if run is None:
        return None
    return max(0, int((now - (run.finished_at or run.started_at)).total_seconds()))
