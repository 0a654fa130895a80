"""Keeping the read model in step with DeepCall: the full sync, its queueing and its status.

`agent_sync` reads DeepCall's listing page by page (several pages in flight at once) and
mirrors each page into the local tables as it arrives, all in one transaction, writing only
what changed: a page never shows a half-synced table, memory does not grow with the account,
and a sync of an unchanged account of 100,000 agents writes almost nothing.
`agent_sync_request` queues that work on the task queue when the copy is stale (or when asked
to), at most one at a time. The writing itself is `services.read_model_writer`'s; how fresh the
copy is, `services.read_model_status`'s.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from agents.deepcall.errors import DeepCallError
from agents.models import SyncRun
from agents.services.agent_changes import (
    agent_change_prune_task,
)
from agents.services.read_model_cache import read_model_version
from agents.services.read_model_status import SYNC_RUNNING_TIMEOUT, SyncStatus, sync_status
from agents.services.read_model_writer import read_model_analyze, read_model_write
from agents.upstream import get_deepcall_client

logger = logging.getLogger("agents.sync")

# Closes the race between two requests that both see a stale copy at the same instant; the
# SyncRun row is the lasting guard, this lock only needs to outlive the check-and-create.
REQUEST_LOCK_KEY = "agents:sync:request-lock"
REQUEST_LOCK_SECONDS = 10

UNEXPECTED_FAILURE = (
    "The sync stopped on an unexpected error; the last good copy is kept. The details are in "
    "the server log."
)

# Who asked for a sync (SyncRun.trigger).
TRIGGER_TTL = "ttl"
TRIGGER_BUTTON = "button"
TRIGGER_COMMAND = "command"
TRIGGER_CAD_JOB = "cad_job"
# These ask for fresh data now; only the TTL trigger waits for the copy to be stale.
FORCED_TRIGGERS = frozenset({TRIGGER_BUTTON, TRIGGER_COMMAND, TRIGGER_CAD_JOB})


def agent_sync(*, trigger: str, run: SyncRun | None = None) -> SyncRun:
    """Fetch every agent from DeepCall and mirror them into the read model; return the run.

    One transaction: agents, their group links and windows are written together, agents the
    API no longer returns are deleted (unless the listing was incomplete), so readers see the
    old copy or the new one, never a mix. A DeepCall error leaves the old copy untouched and
    records a FAILED run with the error's user message. `run` is the row `agent_sync_request`
    created when it queued this sync; without it a new row is created.
    """
    started = timezone.now()
    if run is None:
        run = SyncRun.objects.create(started_at=started, trigger=trigger)
    else:
        run.started_at, run.trigger, run.outcome = started, trigger, SyncRun.Outcome.RUNNING
        run.save(update_fields=["started_at", "trigger", "outcome"])
    clock = time.perf_counter()
    pages = get_deepcall_client().agent_pages()
    try:
        changes = read_model_write(pages, now=timezone.now())
    except DeepCallError as exc:
        code = f" (code {exc.code})" if exc.code is not None else ""
        logger.warning("agent sync failed: %s%s", exc.user_message, code)
        return _finish(run, clock, outcome=SyncRun.Outcome.FAILED, message=exc.user_message)
    except Exception:
        # A bug or a database error: the run says so at once rather than staying "running"
        # until it times out, and the error still reaches the log and the task's result.
        logger.exception("agent sync failed unexpectedly")
        _finish(run, clock, outcome=SyncRun.Outcome.FAILED, message=UNEXPECTED_FAILURE)
        raise

    read_model_analyze(changes)
    notes = [
        f"{changes.created} new, {changes.updated} changed, {changes.deleted} removed, "
        f"{changes.unchanged} unchanged."
    ]
    if changes.deleted_upstream:
        notes.append(f"{changes.deleted_upstream} agent(s) deleted in DeepCall left out.")
    if pages.skipped_without_id:
        notes.append(
            f"{pages.skipped_count} unreadable agent(s) skipped, {pages.skipped_without_id} "
            "without a readable id: agents missing from the listing were kept."
        )
    elif pages.skipped_count:
        notes.append(f"{pages.skipped_count} unreadable agent(s) skipped.")
    if not pages.complete:
        notes.append("DeepCall's listing stopped early: agents it did not return were kept.")
    agent_count = len(pages.listed_ids) - changes.deleted_upstream
    logger.info("agent sync (%s): %d agents; %s", trigger, agent_count, " ".join(notes))
    return _finish(
        run,
        clock,
        outcome=SyncRun.Outcome.SUCCEEDED,
        message=" ".join(notes),
        agent_count=agent_count,
        skipped_count=pages.skipped_count,
        pages_fetched=pages.pages_fetched,
        read_model_version=run.pk if changes.any else read_model_version(fresh=True),
    )


@task()
def agent_sync_task(*, trigger: str, run_id: int | None = None) -> dict:
    """`agent_sync` on the worker; `run_id` is the SyncRun row created when it was queued."""
    run = SyncRun.objects.filter(pk=run_id).first() if run_id is not None else None
    run = agent_sync(trigger=trigger, run=run)
    # Pruned here, on the worker, after the sync's own writes: never in a web request, and
    # as often as history is added.
    agent_change_prune_task.enqueue()
    return {"run_id": run.pk, "outcome": run.outcome, "agent_count": run.agent_count}


def _finish(run: SyncRun, clock: float, *, outcome: str, message: str, **counts: int) -> SyncRun:
    run.finished_at = timezone.now()
    run.duration_ms = round((time.perf_counter() - clock) * 1000)
    run.outcome = outcome
    run.message = message
    for name, value in counts.items():
        setattr(run, name, value)
    run.save()
    if outcome == SyncRun.Outcome.SUCCEEDED:
        read_model_version(fresh=True)  # a request that ran this sync reads its version now
    return run


# --- queueing ----------------------------------------------------------------------------------


def _expire_dead_runs(now: datetime) -> None:
    SyncRun.objects.filter(
        outcome=SyncRun.Outcome.RUNNING, started_at__lt=now - SYNC_RUNNING_TIMEOUT
    ).update(
        outcome=SyncRun.Outcome.FAILED,
        finished_at=now,
        message="The sync did not finish (the background worker stopped or is not running).",
    )


def agent_sync_request(
    *, trigger: str, force: bool | None = None, status: SyncStatus | None = None
) -> bool:
    """Queue a background sync unless one is already queued or running; True when queued.

    Without `force`, only the triggers in FORCED_TRIGGERS (button, command, cad_job) queue a
    sync regardless of the copy's age; the TTL trigger queues one only when the last good sync
    is older than DEEPCALL_SYNC_TTL (or there was none, or the last attempt failed long enough
    ago). Never blocks on DeepCall: the work happens in `agent_sync_task`. `status` is the
    `sync_status()` the caller has just read, if it has.
    """
    if force is None:
        force = trigger in FORCED_TRIGGERS
    if not force:
        # Every directory view asks: answered from the status the page reads anyway, with no
        # write, so a copy being refreshed costs the pages nothing.
        status = status or sync_status()
        if status.in_progress is not None or not status.is_due:
            return False
    now = timezone.now()
    if not cache.add(REQUEST_LOCK_KEY, trigger, timeout=REQUEST_LOCK_SECONDS):
        return False
    try:
        with transaction.atomic():
            _expire_dead_runs(now)
            if SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).exists():
                return False
            run = SyncRun.objects.create(
                started_at=now, trigger=trigger, message="Queued: waiting for the worker."
            )
    finally:
        cache.delete(REQUEST_LOCK_KEY)
    agent_sync_task.enqueue(trigger=trigger, run_id=run.pk)
    return True
