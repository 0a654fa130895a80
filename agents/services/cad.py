"""Bulk CAD: create jobs from a selection, run them in batches, record every agent's outcome.

A job's agents are fixed when it is created (a snapshot of the selection), split into
`CadBatch` rows of DEEPCALL_CAD_BATCH_SIZE ids. A worker claims a batch, makes one setCad or
unsetCad call, and in one transaction writes the batch's results and marks it done. So:

- a worker that dies mid-job loses nothing already recorded; its claimed batch is taken up
  again after CLAIM_LEASE by the next run of the job (queued by `cad_jobs_resume` when a
  worker starts, or deferred to the lease's end by a run that found the batch still held),
  and a batch is never recorded twice (one result per agent per job, enforced by the database);
- several workers can run one job: a batch is claimed with SELECT … FOR UPDATE SKIP LOCKED on
  PostgreSQL and a conditional UPDATE everywhere, so no batch is sent twice at once.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from threading import Event

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Min, QuerySet
from django.http import QueryDict
from django.utils import timezone

from agents.deepcall.client import cad_not_attempted_reason
from agents.deepcall.errors import (
    AuthenticationError,
    DeepCallError,
    PermissionDeniedError,
)
from agents.deepcall.records import CadAction, CadOutcome
from agents.models import Agent, CadBatch, CadJob, CadResult
from agents.selection import Selection
from agents.upstream import get_deepcall_client

logger = logging.getLogger("agents.cad")

# A claimed batch not finished in this time is taken to belong to a dead worker: far longer
# than one call may take (connect 5 s + read 20 s, with retries under 15 s).
CLAIM_LEASE = timedelta(minutes=5)
# How many names the confirmation page lists before "and N more".
PREVIEW_NAMES = 10
ACTIVE_STATUSES = (CadJob.Status.QUEUED, CadJob.Status.RUNNING)
# Any fixed number: the key of PostgreSQL's advisory lock around job creation.
JOB_CREATION_LOCK = 0x0CAD_0B5
# After a lease runs out, wait this much more before looking again (clocks, slow commits).
LEASE_GRACE = timedelta(seconds=5)
REVERSE_ACTION = {
    CadJob.Action.ENABLE: CadJob.Action.DISABLE,
    CadJob.Action.DISABLE: CadJob.Action.ENABLE,
}


class CadJobRefused(Exception):
    """A job that must not start; `message` says why, for the admin."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SelectionPreview:
    count: int
    names: list[str]
    more: int
    description: str


def _batch_size() -> int:
    return int(settings.DEEPCALL_CAD_BATCH_SIZE)


def _concurrency() -> int:
    return max(1, int(settings.DEEPCALL_CAD_CONCURRENCY))


# --- selection → agents ----------------------------------------------------------------------


def selection_queryset(selection: Selection) -> QuerySet[Agent]:
    """The agents a selection stands for, in the directory's order."""
    from agents.services.directory import agent_filter_queryset

    if selection.is_all_matching:
        agents = agent_filter_queryset(QueryDict(selection.all_matching_query))
        if selection.excluded_ids:
            agents = agents.exclude(agent_id__in=selection.excluded_ids)
        return agents
    return Agent.objects.filter(agent_id__in=selection.agent_ids)


def selection_describe(selection: Selection) -> str:
    from agents.services.directory import agent_filter_describe

    if selection.is_all_matching:
        text = (
            f"all agents matching {agent_filter_describe(QueryDict(selection.all_matching_query))}"
        )
        if selection.excluded_ids:
            text += f", except {len(selection.excluded_ids)} unticked"
        return text
    return "agents picked one by one"


def selection_preview(selection: Selection) -> SelectionPreview:
    """How many agents, the first names, and where they came from: for the confirmation."""
    agents = selection_queryset(selection).order_by("name", "agent_id_sort")
    count = agents.count()
    names = list(agents.values_list("name", flat=True)[:PREVIEW_NAMES])
    return SelectionPreview(
        count=count,
        names=names,
        more=max(0, count - len(names)),
        description=selection_describe(selection),
    )


# --- creating jobs ---------------------------------------------------------------------------


def cad_job_create(
    *,
    user,
    action: str,
    agent_ids: list[str],
    idempotency_key: str,
    filter_query: str = "",
    filter_description: str = "",
    kind: str = CadJob.Kind.NEW,
    source_job: CadJob | None = None,
) -> tuple[CadJob, bool]:
    """Create a job for these agents and queue it; return (job, created).

    The same idempotency key returns the job it already made (a double click, a resubmitted
    form) without queueing anything. Raises CadJobRefused when there is nothing to do or a
    queued or running job already covers some of these agents.
    """
    from agents.tasks.cad import cad_job_task

    if action not in CadJob.Action.values:
        raise CadJobRefused("Unknown action: choose Enable CAD or Disable CAD.")
    ids = list(dict.fromkeys(str(i) for i in agent_ids))
    size = _batch_size()
    try:
        with transaction.atomic():
            # The idempotency and overlap checks and the insert happen under one lock, so two
            # admins confirming overlapping selections at the same instant cannot both pass.
            _lock_job_creation()
            existing = CadJob.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
            if not ids:
                raise CadJobRefused(
                    "No agents selected: tick at least one agent, or select all matching."
                )
            busy = _agents_in_active_jobs(set(ids))
            if busy:
                other, overlap = busy
                raise CadJobRefused(
                    f"{overlap:,} of these agents are already in a CAD job that is "
                    f"{other.get_status_display().lower()} (started by {other.created_by}). "
                    "Wait for it to finish, then try again."
                )
            job = CadJob.objects.create(
                idempotency_key=idempotency_key,
                action=action,
                kind=kind,
                created_by=user,
                source_job=source_job,
                filter_query=filter_query,
                filter_description=filter_description,
                agent_ids=ids,
                total=len(ids),
            )
            CadBatch.objects.bulk_create(
                CadBatch(job=job, number=n, agent_ids=ids[start : start + size])
                for n, start in enumerate(range(0, len(ids), size), start=1)
            )
    except IntegrityError:
        # The same key, submitted twice at the same instant: the other request made the job.
        return CadJob.objects.get(idempotency_key=idempotency_key), False
    result = cad_job_task.enqueue(job_id=job.pk)
    CadJob.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    logger.info("CAD job %s queued: %s for %d agents by %s", job.public_id, action, len(ids), user)
    return job, True


def _lock_job_creation() -> None:
    """Serialise job creation (inside the caller's transaction).

    SQLite needs nothing: the project opens its transactions IMMEDIATE, which takes the write
    lock at once. PostgreSQL takes a transaction-scoped advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOB_CREATION_LOCK])


def _agents_in_active_jobs(ids: set[str]) -> tuple[CadJob, int] | None:
    for job in CadJob.objects.filter(status__in=ACTIVE_STATUSES).select_related("created_by"):
        overlap = len(ids.intersection(job.agent_ids))
        if overlap:
            return job, overlap
    return None


def cad_job_start(*, user, action: str, selection: Selection, idempotency_key: str) -> CadJob:
    """Start a job for what the admin selected (ids or all matching a filter)."""
    ids = list(selection_queryset(selection).values_list("agent_id", flat=True))
    job, _ = cad_job_create(
        user=user,
        action=action,
        agent_ids=ids,
        idempotency_key=idempotency_key,
        filter_query=selection.all_matching_query or "",
        filter_description=selection_describe(selection),
    )
    return job


def cad_job_retry_failed(*, job: CadJob, user, idempotency_key: str) -> CadJob:
    """A new job, same action, for the agents that failed or were not attempted."""
    return _follow_up_job(
        job,
        user=user,
        idempotency_key=idempotency_key,
        results=job.results.exclude(outcome=CadResult.Outcome.SUCCEEDED),
        action=job.action,
        kind=CadJob.Kind.RETRY,
        description=f"failed agents of job {job.public_id}",
        nothing_to_do="Nothing to retry: every agent of this job succeeded.",
    )


def cad_job_undo(*, job: CadJob, user, idempotency_key: str) -> CadJob:
    """The reverse action, for exactly the agents this job changed."""
    return _follow_up_job(
        job,
        user=user,
        idempotency_key=idempotency_key,
        results=job.results.filter(outcome=CadResult.Outcome.SUCCEEDED),
        action=REVERSE_ACTION[job.action],
        kind=CadJob.Kind.UNDO,
        description=f"agents changed by job {job.public_id}",
        nothing_to_do="Nothing to undo: this job changed no agent.",
    )


def _follow_up_job(
    job: CadJob, *, user, idempotency_key, results, action, kind, description, nothing_to_do
) -> CadJob:
    ids = list(results.values_list("agent_id", flat=True))
    if not ids:
        raise CadJobRefused(nothing_to_do)
    new, _ = cad_job_create(
        user=user,
        action=action,
        agent_ids=ids,
        idempotency_key=idempotency_key,
        kind=kind,
        source_job=job,
        filter_description=description,
    )
    return new


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


# --- running jobs ----------------------------------------------------------------------------


def cad_job_run(*, job_id: int) -> CadJob:
    """Run every pending batch of a job, DEEPCALL_CAD_CONCURRENCY calls at a time.

    Safe to call again for the same job, and from several workers at once.
    """
    job = CadJob.objects.get(pk=job_id)
    if job.is_finished:
        return job
    now = timezone.now()
    CadJob.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=now)
    CadJob.objects.filter(pk=job.pk, status=CadJob.Status.QUEUED).update(
        status=CadJob.Status.RUNNING
    )
    _release_expired_claims(job.pk)
    stop = Event()
    stop_reason: list[str] = []

    def run_batches() -> None:
        while not stop.is_set():
            batch = _claim_batch(job.pk)
            if batch is None:
                return
            _run_batch(job, batch, stop, stop_reason)

    def worker_thread() -> None:
        try:
            run_batches()
        finally:
            connection.close()  # each thread has its own connection

    concurrency = _concurrency()
    if concurrency == 1:
        run_batches()
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="cad") as pool:
            for future in [pool.submit(worker_thread) for _ in range(concurrency)]:
                future.result()
    if stop_reason:
        _give_up_pending(job, stop_reason[0])
    job = _finish_if_done(job.pk)
    if not job.is_finished:
        _look_again_after_lease(job)
    return job


def _release_expired_claims(job_id: int) -> None:
    CadBatch.objects.filter(
        job_id=job_id, state=CadBatch.State.RUNNING, claimed_at__lt=timezone.now() - CLAIM_LEASE
    ).update(state=CadBatch.State.PENDING, claimed_at=None)


def _look_again_after_lease(job: CadJob) -> None:
    """Batches are still claimed by another worker: run the job again when their lease ends.

    If that worker is alive it finishes them and the later run finds nothing to do; if it died
    (say the worker restarted and `cad_resume` ran within the lease), the later run takes its
    batches back. Without this the job would wait for the next `cad_resume`.
    """
    from agents.tasks.cad import cad_job_task

    oldest = CadBatch.objects.filter(job_id=job.pk, state=CadBatch.State.RUNNING).aggregate(
        oldest=Min("claimed_at")
    )["oldest"]
    if oldest is None:
        return
    if not cad_job_task.get_backend().supports_defer:
        logger.warning("CAD job %s waits for batches another worker holds", job.public_id)
        return
    run_after = max(oldest + CLAIM_LEASE, timezone.now()) + LEASE_GRACE
    cad_job_task.using(run_after=run_after).enqueue(job_id=job.pk)


def _claim_batch(job_id: int) -> CadBatch | None:
    """Take the next pending batch of the job for this worker, or None when there is none."""
    while True:
        with transaction.atomic():
            pending = CadBatch.objects.filter(job_id=job_id, state=CadBatch.State.PENDING)
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            batch = pending.order_by("number").first()
            if batch is None:
                return None
            claimed = CadBatch.objects.filter(pk=batch.pk, state=CadBatch.State.PENDING).update(
                state=CadBatch.State.RUNNING, claimed_at=timezone.now()
            )
        if claimed:
            batch.state = CadBatch.State.RUNNING
            return batch


def _run_batch(job: CadJob, batch: CadBatch, stop: Event, stop_reason: list[str]) -> None:
    ids = [str(i) for i in batch.agent_ids]
    try:
        result = get_deepcall_client().cad_batch(CadAction(job.action), ids)
        outcomes = [(r.agent_id, r.outcome, r.message, r.code) for r in result.results]
    except DeepCallError as exc:
        reason = cad_not_attempted_reason(exc)
        outcomes = [(i, CadOutcome.NOT_ATTEMPTED, reason, exc.code) for i in ids]
        if isinstance(exc, AuthenticationError | PermissionDeniedError):
            # Every other batch would fail the same way: stop sending, say why.
            stop_reason.append(exc.user_message)
            stop.set()
    _record_batch(job, batch, outcomes)


def _record_batch(job: CadJob, batch: CadBatch, outcomes) -> None:
    names = dict(
        Agent.objects.filter(agent_id__in=[o[0] for o in outcomes]).values_list("agent_id", "name")
    )
    with transaction.atomic():
        CadResult.objects.bulk_create(
            [
                CadResult(
                    job=job,
                    agent_id=agent_id,
                    agent_name=names.get(agent_id, ""),
                    outcome=str(outcome),
                    message=message or "",
                    code=code,
                    batch_number=batch.number,
                )
                for agent_id, outcome, message, code in outcomes
            ],
            ignore_conflicts=True,  # a batch re-run after a crash never records an agent twice
        )
        CadBatch.objects.filter(pk=batch.pk).update(
            state=CadBatch.State.DONE, finished_at=timezone.now()
        )
        _update_counters(job.pk)


def _update_counters(job_id: int) -> None:
    """Counters from the results themselves, so they are exact whatever ran twice.

    The job row is locked first: two batches finishing at once on PostgreSQL then count one
    after the other, the second seeing the first's committed results.
    """
    CadJob.objects.select_for_update().filter(pk=job_id).first()
    counts = dict(
        CadResult.objects.filter(job_id=job_id).values_list("outcome").annotate(n=Count("id"))
    )
    CadJob.objects.filter(pk=job_id).update(
        succeeded=counts.get(CadResult.Outcome.SUCCEEDED, 0),
        failed=counts.get(CadResult.Outcome.FAILED, 0),
        not_attempted=counts.get(CadResult.Outcome.NOT_ATTEMPTED, 0),
    )


def _give_up_pending(job: CadJob, reason: str) -> None:
    for batch in CadBatch.objects.filter(job_id=job.pk, state=CadBatch.State.PENDING):
        _record_batch(
            job,
            batch,
            [
                (str(i), CadOutcome.NOT_ATTEMPTED, f"Not sent: {reason}", None)
                for i in batch.agent_ids
            ],
        )
    CadJob.objects.filter(pk=job.pk).update(message=reason)


def _finish_if_done(job_id: int) -> CadJob:
    with transaction.atomic():
        _update_counters(job_id)
    job = CadJob.objects.get(pk=job_id)
    unfinished = CadBatch.objects.filter(job_id=job_id).exclude(state=CadBatch.State.DONE)
    if unfinished.exists() or job.is_finished:
        return job
    if job.succeeded == job.total:
        status = CadJob.Status.SUCCEEDED
    elif job.succeeded == 0:
        status = CadJob.Status.FAILED
    else:
        status = CadJob.Status.PARTIAL
    updated = CadJob.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
        status=status, finished_at=timezone.now()
    )
    job.refresh_from_db()
    if updated:
        logger.info(
            "CAD job %s finished: %s (%d ok, %d failed, %d not attempted)",
            job.public_id,
            status,
            job.succeeded,
            job.failed,
            job.not_attempted,
        )
        _refresh_directory()
    return job


def _refresh_directory() -> None:
    """CAD changed agents in DeepCall: refresh the directory's copy in the background."""
    from agents.services.sync import TRIGGER_CAD_JOB, agent_sync_request

    agent_sync_request(trigger=TRIGGER_CAD_JOB)


def cad_jobs_resume() -> list[CadJob]:
    """Queue again every unfinished job (after a worker died); return them.

    Batches claimed by a dead worker are released after CLAIM_LEASE by the run itself. A job
    whose batches are all done is queued too: its worker may have died between recording the
    last batch and marking the job finished, and the run only has to finish it.
    """
    from agents.tasks.cad import cad_job_task

    jobs = list(CadJob.objects.filter(status__in=ACTIVE_STATUSES).order_by("created_at"))
    for job in jobs:
        cad_job_task.enqueue(job_id=job.pk)
    return jobs


def cad_job_results(job: CadJob, *, outcome: str | None = None) -> QuerySet[CadResult]:
    results = job.results.order_by("outcome", "agent_name", "agent_id")
    if outcome in CadResult.Outcome.values:
        results = results.filter(outcome=outcome)
    return results


def cad_job_remaining(job: CadJob) -> int:
    """Agents not yet recorded: those of batches still pending or running."""
    return max(0, job.total - job.done)
