"""Bulk CAD: create jobs from a selection, run them in batches, record every agent's outcome.

A job's agents are fixed when it is created (a snapshot of the selection), split into
`CadBatch` rows of DEEPCALL_CAD_BATCH_SIZE ids. A worker claims a batch, makes one setCad or
unsetCad call, and in one transaction writes the batch's results and marks it done. So:

- a worker that dies mid-job loses nothing already recorded; the batches it held are taken
  over within seconds of its heartbeat stopping (`cad_batches_take_over`, run by every live
  worker's heartbeat, see `services.task_workers`), and a batch is never recorded twice (one
  result per agent per job, enforced by the database). CLAIM_LEASE stays as the last resort,
  for claims made outside a `task_worker` (no heartbeat to watch);
- a worker told to stop (SIGTERM) claims no more batches, and gives back those whose call has
  not ended within STOP_GRACE_S, so another worker sends them;
- an unexpected error in a batch (a database error, a dropped connection, a bug; DeepCall's
  own errors are recorded per agent) gives the batch back at once, and the job runs again
  after RETRY_DELAY; after CAD_BATCH_ATTEMPTS claims the job is marked Interrupted, which
  frees its agents for new jobs;
- several workers can run one job: a batch is claimed with SELECT … FOR UPDATE SKIP LOCKED on
  PostgreSQL and a conditional UPDATE everywhere, so no batch is sent twice at once.

The CAD ledger it writes as it goes is `services.cad_ledger`'s.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from threading import Event

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.tasks import task
from django.utils import timezone

from agents.deepcall.client import cad_not_attempted_reason
from agents.deepcall.errors import (
    AuthenticationError,
    DeepCallError,
    PermissionDeniedError,
    UpstreamTimeoutError,
)
from agents.deepcall.records import CadOutcome
from agents.models import Agent, CadBatch, CadJob, CadResult, CadState, DeletedAgent
from agents.services.cad_ledger import (
    cad_ledger_lock_before,
    cad_ledger_set,
    cad_state_filter_ids,
)
from agents.services.locks import lock_until_commit
from agents.services.read_model_sync import TRIGGER_CAD_JOB, agent_sync_request
from agents.services.task_workers import (
    current_worker_id,
    task_workers_alive,
    worker_stop_requested,
)
from agents.services.team_scopes import (
    agent_ids_out_of_scope,
    cad_results_in_scope,
    out_of_scope_message,
    team_scope_of,
    team_scope_record,
)
from agents.team_scope import active_team_scope
from agents.upstream import get_deepcall_client

logger = logging.getLogger("agents.cad")

# A claimed batch not finished in this time is taken to belong to a dead worker: far longer
# than one call may take (connect 5 s + read 20 s, with retries under 15 s). Only the last
# resort: a task_worker's claims are taken over as soon as its heartbeat stops.
CLAIM_LEASE = timedelta(minutes=5)
# A worker told to stop waits this long for the calls in flight, then gives their batches back:
# a deploy's SIGTERM is followed by SIGKILL after 10 s on most platforms.
STOP_GRACE_S = 8.0
# After an unexpected error (the database away, a bug) the job runs again after this pause, so
# a lasting fault costs CAD_BATCH_ATTEMPTS tries over seconds, not a busy loop.
RETRY_DELAY = timedelta(seconds=2)
# How many names the confirmation page lists before "and N more".
PREVIEW_NAMES = 10
ACTIVE_STATUSES = (CadJob.Status.QUEUED, CadJob.Status.RUNNING)
# After a lease runs out, wait this much more before looking again (clocks, slow commits).
LEASE_GRACE = timedelta(seconds=5)
# Claims of one batch before its job is given up as Interrupted: a worker that died or an
# unexpected error, three times over, is no passing hiccup; an admin has to look.
CAD_BATCH_ATTEMPTS = 3
# What the job page says of an agent DeepCall lists as deleted (isDeleted) when its turn comes.
DELETED_IN_DEEPCALL = "Deleted in DeepCall"
# The job's message, and why its unsent agents were not sent, when DeepCall stops answering.
DEEPCALL_STALLED = (
    "DeepCall did not answer in time, so the rest of this job was not sent. Use Retry failed "
    "once DeepCall answers again (the DeepCall status page checks it)."
)
# Ids per `IN (…)`: far below every backend's bound-parameter limit, for jobs of 20,000 agents.
ID_CHUNK_SIZE = 500
# How many agents "state before not known" the undo confirmation lists by name.
UNDO_UNKNOWN_NAMES = 50


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
    # Of these agents, how many the ledger says already have the state the action sets.
    already_set: int = 0


def _batch_size() -> int:
    return int(settings.DEEPCALL_CAD_BATCH_SIZE)


def _concurrency() -> int:
    return max(1, int(settings.DEEPCALL_CAD_CONCURRENCY))


# --- selection → agents ----------------------------------------------------------------------


def selection_preview(
    *, agents: QuerySet[Agent], description: str, action: str | None = None
) -> SelectionPreview:
    """How many agents, the first names, and where they came from: for the confirmation.

    With an `action`, also how many of them are already so by the ledger (on for Enable CAD).
    """
    agents = agents.order_by("name", "agent_id_sort")
    count = agents.count()
    names = list(agents.values_list("name", flat=True)[:PREVIEW_NAMES])
    already = 0
    if action in CadJob.Action.values:
        known = cad_state_filter_ids(state=CadJob.Action(action).target_state)
        already = agents.filter(agent_id__in=known).count()
    return SelectionPreview(
        count=count,
        names=names,
        more=max(0, count - len(names)),
        description=description,
        already_set=already,
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
    skip_already_set: bool = False,
    api_token_name: str = "",
) -> tuple[CadJob, bool]:
    """Create a job for these agents and queue it; return (job, created).

    The same idempotency key returns the job it already made (a double click, a resubmitted
    form) without queueing anything. Raises CadJobRefused when there is nothing to do or a
    queued or running job already covers some of these agents. With `skip_already_set`, the
    agents the ledger says already have the state the action sets are not sent: the job
    records each of them as skipped, with why. `api_token_name`: started through the API
    with that token (the audit log says so).
    """
    if action not in CadJob.Action.values:
        raise CadJobRefused("Unknown action: choose Enable CAD or Disable CAD.")
    ids = list(dict.fromkeys(str(i) for i in agent_ids))
    # Whoever calls, a job reaches only agents in its author's team scope: a new job with any
    # agent outside it is refused; a retry or an undo acts on those inside it only.
    author_scope = team_scope_of(user=user)
    outside = set(agent_ids_out_of_scope(ids, author_scope))
    if outside and kind == CadJob.Kind.NEW:
        raise CadJobRefused(out_of_scope_message(len(outside)))
    ids = [i for i in ids if i not in outside]
    size = _batch_size()
    try:
        with transaction.atomic():
            # The idempotency and overlap checks and the insert happen under one lock, so two
            # admins confirming overlapping selections at the same instant cannot both pass.
            lock_until_commit("cad-job-creation")
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
            skipped = _already_set(ids, action) if skip_already_set else {}
            to_send = [i for i in ids if i not in skipped]
            if not to_send:
                state = CadJob.Action(action).target_state
                raise CadJobRefused(
                    f"All {len(ids):,} of these agents are already {state}, as set here: "
                    "nothing to send. Choose to send to all of them to send anyway."
                )
            job = CadJob.objects.create(
                idempotency_key=idempotency_key,
                action=action,
                kind=kind,
                created_by=user,
                source_job=source_job,
                filter_query=filter_query,
                filter_description=filter_description,
                scope_keys=team_scope_record(author_scope),
                agent_ids=to_send,
                total=len(ids),
                skipped=len(skipped),
                api_token_name=api_token_name,
            )
            CadBatch.objects.bulk_create(
                CadBatch(job=job, number=n, agent_ids=to_send[start : start + size])
                for n, start in enumerate(range(0, len(to_send), size), start=1)
            )
            _record_skipped(job, skipped)
    except IntegrityError:
        # The same key, submitted twice at the same instant: the other request made the job.
        return CadJob.objects.get(idempotency_key=idempotency_key), False
    result = cad_job_task.enqueue(job_id=job.pk)
    CadJob.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    logger.info("CAD job %s queued: %s for %d agents by %s", job.public_id, action, len(ids), user)
    return job, True


def _already_set(ids: list[str], action: str) -> dict[str, CadState]:
    """The ledger rows of those ids already in the state `action` sets."""
    state = CadJob.Action(action).target_state
    found: dict[str, CadState] = {}
    for start in range(0, len(ids), ID_CHUNK_SIZE):
        chunk = ids[start : start + ID_CHUNK_SIZE]
        found.update(
            (row.agent_id, row)
            for row in CadState.objects.filter(agent_id__in=chunk, state=state).select_related(
                "job"
            )
        )
    return found


def _record_skipped(job: CadJob, skipped: dict[str, CadState]) -> None:
    if not skipped:
        return
    names = _agent_names(list(skipped))
    CadResult.objects.bulk_create(
        [
            CadResult(
                job=job,
                agent_id=agent_id,
                agent_name=names.get(agent_id, ""),
                outcome=CadResult.Outcome.SKIPPED,
                message=_skipped_message(row),
                state_before=row.state,
            )
            for agent_id, row in skipped.items()
        ],
        batch_size=ID_CHUNK_SIZE,
    )


def _skipped_message(row: CadState) -> str:
    when = timezone.localtime(row.set_at)
    by_job = f" by job {str(row.job.public_id)[:8]}" if row.job else ""
    return f"Already {row.state}, as set here on {when:%d %b %Y %H:%M}{by_job}; not sent."


def _agent_names(ids: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for start in range(0, len(ids), ID_CHUNK_SIZE):
        names.update(
            Agent.objects.filter(agent_id__in=ids[start : start + ID_CHUNK_SIZE]).values_list(
                "agent_id", "name"
            )
        )
    return names


def _agents_in_active_jobs(ids: set[str]) -> tuple[CadJob, int] | None:
    for job in CadJob.objects.filter(status__in=ACTIVE_STATUSES).select_related("created_by"):
        overlap = len(ids.intersection(job.agent_ids))
        if overlap:
            return job, overlap
    return None


def cad_job_start(
    *,
    user,
    action: str,
    agents: QuerySet[Agent],
    idempotency_key: str,
    filter_query: str = "",
    filter_description: str = "",
    skip_already_set: bool = False,
) -> CadJob:
    """Start a job for the selected agents (`filter_query` when they were all matching one).

    `skip_already_set`: leave out (and record as skipped) the agents the ledger says already
    have the state the action sets.
    """
    ids = list(agents.values_list("agent_id", flat=True))
    job, _ = cad_job_create(
        user=user,
        action=action,
        agent_ids=ids,
        idempotency_key=idempotency_key,
        filter_query=filter_query,
        filter_description=filter_description,
        skip_already_set=skip_already_set,
    )
    return job


def cad_job_retry_failed(
    *, job: CadJob, user, idempotency_key: str, api_token_name: str = ""
) -> CadJob:
    """A new job, same action, for the agents that failed or were not attempted."""
    return _follow_up_job(
        job,
        user=user,
        idempotency_key=idempotency_key,
        api_token_name=api_token_name,
        results=cad_results_in_scope(
            job.results.filter(
                outcome__in=[CadResult.Outcome.FAILED, CadResult.Outcome.NOT_ATTEMPTED]
            )
        ),
        action=job.action,
        kind=CadJob.Kind.RETRY,
        description=f"failed agents of job {job.public_id}",
        nothing_to_do="Nothing to retry: every agent of this job succeeded.",
    )


@dataclass(frozen=True)
class UndoPlan:
    """What undoing a job would do, agent by agent, from the state each had before it.

    - `restore`: the ledger said the opposite before the job: switched back;
    - `kept`: the ledger already said what the job set (e.g. on before Enable CAD): left so;
    - `unknown`: the state before was not known: switched back only if the admin says so.
    """

    job: CadJob
    action: str  # the reverse of the job's action
    restore: list[str]
    kept: int
    unknown: list[str]
    unknown_names: list[tuple[str, str]]  # (agent id, name) of the first UNDO_UNKNOWN_NAMES

    @property
    def action_label(self) -> str:
        return dict(CadJob.Action.choices)[self.action]

    @property
    def without_unknown(self) -> int:
        return len(self.restore)

    @property
    def with_unknown(self) -> int:
        return len(self.restore) + len(self.unknown)


def cad_undo_plan(job: CadJob) -> UndoPlan:
    """Sort the agents this job changed by the state the ledger had before it (see UndoPlan)."""
    target = job.target_state
    restore: list[str] = []
    unknown: list[str] = []
    kept = 0
    rows = cad_results_in_scope(job.results.filter(outcome=CadResult.Outcome.SUCCEEDED)).order_by(
        "agent_name", "id"
    )
    names: list[tuple[str, str]] = []
    for agent_id, name, before in rows.values_list("agent_id", "agent_name", "state_before"):
        if before in (CadResult.Before.ON, CadResult.Before.OFF):
            if before == target:
                kept += 1
            else:
                restore.append(agent_id)
        else:
            unknown.append(agent_id)
            if len(names) < UNDO_UNKNOWN_NAMES:
                names.append((agent_id, name))
    return UndoPlan(
        job=job,
        action=CadJob.Action(job.action).opposite,
        restore=restore,
        kept=kept,
        unknown=unknown,
        unknown_names=names,
    )


def cad_job_undo(
    *,
    job: CadJob,
    user,
    idempotency_key: str,
    include_unknown: bool = False,
    api_token_name: str = "",
) -> CadJob:
    """Put back, for each agent this job changed, the state it had before the job.

    Agents the ledger knew to be already so before the job are left as they are; those whose
    state before was not known are switched back only with `include_unknown`. Undoing an undo
    redoes: the undo's own results remember the states the first job set.
    """
    plan = cad_undo_plan(job)
    ids = plan.restore + (plan.unknown if include_unknown else [])
    if not ids:
        if plan.unknown:
            nothing = (
                f"Nothing to undo without the {len(plan.unknown):,} agents whose state before "
                "is not known: choose to switch them back too."
            )
        elif plan.kept:
            nothing = (
                f"Nothing to undo: the {plan.kept:,} agents this job changed were already "
                f"{job.target_state} before it, as set here."
            )
        else:
            nothing = "Nothing to undo: this job changed no agent."
        raise CadJobRefused(nothing)
    new, _ = cad_job_create(
        user=user,
        action=plan.action,
        agent_ids=ids,
        idempotency_key=idempotency_key,
        kind=CadJob.Kind.UNDO,
        source_job=job,
        filter_description=f"agents changed by job {job.public_id}",
        api_token_name=api_token_name,
    )
    return new


def _follow_up_job(
    job: CadJob,
    *,
    user,
    idempotency_key,
    results,
    action,
    kind,
    description,
    nothing_to_do,
    api_token_name: str = "",
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
        api_token_name=api_token_name,
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
    exhausted = _release_expired_claims(job.pk)
    if exhausted is not None:
        return _interrupt(job.pk, exhausted)
    stop = Event()
    stop_reason: list[str] = []
    held: set[int] = set()  # the batches this run holds, given back if told to stop
    failed: list[str] = []
    given_back: set[int] = set()  # after an error: for the next run, not this one

    def run_batches() -> None:
        while not stop.is_set() and not worker_stop_requested():
            try:
                batch = _claim_batch(job.pk, skip=given_back)
            except DatabaseError as exc:
                logger.warning("CAD job %s: no batch claimed (%s)", job.public_id, exc)
                failed.append(type(exc).__name__)
                return
            if batch is None:
                return
            held.add(batch.pk)
            try:
                _run_batch(job, batch, stop, stop_reason)
            except Exception as exc:
                # Not DeepCall's answer (that is recorded per agent) but a database error or
                # a bug: the batch is given back and the job runs again after RETRY_DELAY;
                # this thread stops, as the next batch would likely fail alike.
                logger.exception(
                    "CAD job %s: batch %d failed unexpectedly (try %d of %d)",
                    job.public_id,
                    batch.number,
                    batch.attempts,
                    CAD_BATCH_ATTEMPTS,
                )
                failed.append(type(exc).__name__)
                given_back.add(batch.pk)
                _give_back(batch.pk, error=type(exc).__name__)
                return
            finally:
                held.discard(batch.pk)

    def worker_thread() -> None:
        try:
            run_batches()
        finally:
            connection.close()  # each thread has its own connection

    concurrency = _concurrency()
    if concurrency == 1:
        run_batches()
    else:
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="cad")
        futures = [pool.submit(worker_thread) for _ in range(concurrency)]
        if not _wait_unless_stopping(futures):
            # Told to stop and calls still in flight after the grace: give their batches back
            # for another worker; DeepCall may apply a change twice, which sets the same state.
            for batch_pk in list(held):
                _give_back(batch_pk, error="", attempt_used=False)
            logger.warning(
                "CAD job %s: worker stopping, %d batches given back", job.public_id, len(held)
            )
            pool.shutdown(wait=False, cancel_futures=True)
            _run_again(job.pk, delay=timedelta(0))
            return CadJob.objects.get(pk=job.pk)
        pool.shutdown()
    if failed and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # the error may have been the connection
    if stop_reason:
        _give_up_pending(job, stop_reason[0])
    job = _finish_if_done(job.pk)
    if not job.is_finished:
        _run_again(job.pk, delay=RETRY_DELAY if failed else timedelta(0))
        if not CadBatch.objects.filter(job_id=job.pk, state=CadBatch.State.PENDING).exists():
            _look_again_after_lease(job)
    return job


def _wait_unless_stopping(futures) -> bool:
    """Wait for the batch threads; False if the worker was told to stop and they were still
    busy STOP_GRACE_S later."""
    stop_deadline = None
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()  # a thread's own bug surfaces here, as before
        if pending and worker_stop_requested():
            stop_deadline = stop_deadline or time.monotonic() + STOP_GRACE_S
            if time.monotonic() >= stop_deadline:
                return False
    return True


def _give_back(batch_pk: int, *, error: str, attempt_used: bool = True) -> None:
    """Make a claimed batch pending again, for this job's next run or another worker's."""
    if not connection.in_atomic_block:
        # The error may have been the connection itself (the database restarted): use a new one.
        connection.close_if_unusable_or_obsolete()
    changes = {"state": CadBatch.State.PENDING, "claimed_at": None, "claimed_by": ""}
    if error:
        changes["last_error"] = error[:100]
    if not attempt_used:
        changes["attempts"] = F("attempts") - 1
    try:
        CadBatch.objects.filter(pk=batch_pk, state=CadBatch.State.RUNNING).update(**changes)
    except DatabaseError:
        # Still away: the batch stays claimed by this live worker, and is given back by the
        # next run of its job (the worker queues every unfinished job once it reconnects).
        logger.warning("CAD batch %d could not be given back yet", batch_pk)


def _run_again(job_id: int, *, delay: timedelta) -> None:
    """Queue another run of the job when it has batches waiting to be claimed."""
    if not CadBatch.objects.filter(job_id=job_id, state=CadBatch.State.PENDING).exists():
        return
    if delay and cad_job_task.get_backend().supports_defer:
        cad_job_task.using(run_after=timezone.now() + delay).enqueue(job_id=job_id)
    else:
        cad_job_task.enqueue(job_id=job_id)


@task
def cad_job_task(*, job_id: int) -> str:
    """`cad_job_run` on the worker; returns the job's status when the run ends."""
    return cad_job_run(job_id=job_id).status


def _abandoned_claims() -> Q:
    """Claims whose worker is gone: its heartbeat stopped, or (no heartbeat) the lease ran out."""
    alive = task_workers_alive().values("worker_id")
    by_dead_worker = ~Q(claimed_by="") & ~Q(claimed_by__in=alive)
    lease_over = Q(claimed_at__lt=timezone.now() - CLAIM_LEASE)
    return Q(state=CadBatch.State.RUNNING) & (by_dead_worker | lease_over)


def _release_expired_claims(job_id: int) -> CadBatch | None:
    """Give abandoned batches back for another try; return one out of tries, if any."""
    abandoned = CadBatch.objects.filter(_abandoned_claims(), job_id=job_id)
    abandoned.filter(attempts__lt=CAD_BATCH_ATTEMPTS).update(
        state=CadBatch.State.PENDING, claimed_at=None, claimed_by=""
    )
    out_of_tries = CadBatch.objects.filter(
        Q(state=CadBatch.State.PENDING) | _abandoned_claims(),
        job_id=job_id,
        attempts__gte=CAD_BATCH_ATTEMPTS,
    )
    return out_of_tries.order_by("number").first()


def cad_batches_take_over() -> list[int]:
    """Give back the batches of workers whose heartbeat stopped and queue their jobs again;
    return those jobs' ids. Run by every live worker's heartbeat: the first to see a dead
    worker's batches queues the run (the conditional UPDATE lets one worker win each batch)."""
    job_ids: set[int] = set()
    for batch_pk, job_id in CadBatch.objects.filter(
        _abandoned_claims(), ~Q(claimed_by="")
    ).values_list("pk", "job_id"):
        if (
            CadBatch.objects.filter(_abandoned_claims(), pk=batch_pk)
            .exclude(claimed_by="")
            .update(state=CadBatch.State.PENDING, claimed_at=None, claimed_by="")
        ):
            job_ids.add(job_id)
    for job_id in sorted(job_ids):
        logger.warning("CAD job %d: batches of a stopped worker taken over", job_id)
        cad_job_task.enqueue(job_id=job_id)
    return sorted(job_ids)


def _interrupt(job_id: int, batch: CadBatch) -> CadJob:
    """Stop a job whose batch ran out of tries; its agents are free for new jobs at once.

    Every agent not yet recorded gets a "not attempted" result saying why, so the job's page
    lists them and "Retry failed" takes them up once the cause is fixed.
    """
    job = CadJob.objects.get(pk=job_id)
    cause = batch.last_error or "the worker stopped"
    message = (
        f"Interrupted: batch {batch.number} failed {batch.attempts} times with an unexpected "
        f"error ({cause}); the server log has the details under job {job.public_id}. The "
        "agents it did not do are listed as not attempted and are free for new jobs: fix the "
        "cause (the DeepCall status page and the server log say more), then use Retry failed."
    )
    updated = CadJob.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(
        status=CadJob.Status.INTERRUPTED, finished_at=timezone.now(), message=message
    )
    if updated:
        logger.error("CAD job %s interrupted: batch %d out of tries", job.public_id, batch.number)
    # The status first: should the database still refuse writes, the agents are free anyway.
    reason = (
        f"Not done: the job was interrupted ({cause}). If DeepCall received this agent's "
        "change before that, it may or may not have applied it."
    )
    unfinished = CadBatch.objects.filter(job_id=job_id).exclude(state=CadBatch.State.DONE)
    try:
        for left in unfinished:
            cad_batch_record(
                job=job,
                batch=left,
                outcomes=[(i, CadOutcome.NOT_ATTEMPTED, reason, None) for i in left.agent_ids],
            )
    except DatabaseError:
        logger.exception("CAD job %s: could not record its unfinished agents", job.public_id)
    job.refresh_from_db()
    return job


def _look_again_after_lease(job: CadJob) -> None:
    """Batches are still claimed by another worker: run the job again when their lease ends.

    If that worker is alive it finishes them and the later run finds nothing to do; if it died
    (say the worker restarted and queued its jobs again within the lease), the later run takes its
    batches back. Without this the job would wait for the next worker start.
    """
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


def _claim_batch(job_id: int, *, skip: set[int] = frozenset()) -> CadBatch | None:
    """Take the next pending batch of the job for this worker, or None when there is none
    (leaving out the batches in `skip` and those out of tries)."""
    while True:
        with transaction.atomic():
            pending = CadBatch.objects.filter(
                job_id=job_id, state=CadBatch.State.PENDING, attempts__lt=CAD_BATCH_ATTEMPTS
            ).exclude(pk__in=skip)
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            batch = pending.order_by("number").first()
            if batch is None:
                return None
            claimed = CadBatch.objects.filter(pk=batch.pk, state=CadBatch.State.PENDING).update(
                state=CadBatch.State.RUNNING,
                claimed_at=timezone.now(),
                claimed_by=current_worker_id(),
                attempts=F("attempts") + 1,
            )
        if claimed:
            batch.state = CadBatch.State.RUNNING
            batch.attempts += 1
            return batch


def _run_batch(job: CadJob, batch: CadBatch, stop: Event, stop_reason: list[str]) -> None:
    ids = [str(i) for i in batch.agent_ids]
    # Deleted in DeepCall since the job was made (or held by a retry or an undo): not sent.
    deleted = set(DeletedAgent.objects.filter(agent_id__in=ids).values_list("agent_id", flat=True))
    outcomes = [
        (i, CadOutcome.NOT_ATTEMPTED, DELETED_IN_DEEPCALL, None) for i in ids if i in deleted
    ]
    to_send = [i for i in ids if i not in deleted]
    if to_send:
        try:
            result = get_deepcall_client().cad_batch(
                to_send, enable=job.action == CadJob.Action.ENABLE
            )
            outcomes += [(r.agent_id, r.outcome, r.message, r.code) for r in result.results]
        except DeepCallError as exc:
            reason = cad_not_attempted_reason(exc)
            outcomes += [(i, CadOutcome.NOT_ATTEMPTED, reason, exc.code) for i in to_send]
            if isinstance(exc, AuthenticationError | PermissionDeniedError):
                # Every other batch would fail the same way: stop sending, say why.
                stop_reason.append(exc.user_message)
                stop.set()
            elif isinstance(exc, UpstreamTimeoutError) and exc.request_sent:
                # DeepCall stalls: the other batches would each wait out the read timeout
                # too. Stop sending, so the job ends within one timeout and can be retried.
                stop_reason.append(DEEPCALL_STALLED)
                stop.set()
    cad_batch_record(job=job, batch=batch, outcomes=outcomes)


def cad_batch_record(*, job: CadJob, batch: CadBatch, outcomes) -> None:
    """Write a batch's results, the ledger for its successes and "done", in one transaction.
    `outcomes`: (agent id, outcome, DeepCall's message, its code) for each agent of the batch.

    The batch row is locked first, and a batch already done is left alone: a batch recorded
    twice (a worker that outlived its lease) moves neither the ledger nor the counters.
    """
    ids = [o[0] for o in outcomes]
    names = _agent_names(ids)
    with transaction.atomic():
        state = (
            CadBatch.objects.select_for_update()
            .filter(pk=batch.pk)
            .values_list("state", flat=True)
            .first()
        )
        if state is None or state == CadBatch.State.DONE:
            return
        now = timezone.now()
        before = cad_ledger_lock_before(ids)
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
                    state_before=before[agent_id],
                )
                for agent_id, outcome, message, code in outcomes
            ],
            ignore_conflicts=True,  # one result per agent per job, whatever happens
        )
        cad_ledger_set(
            job, [o[0] for o in outcomes if str(o[1]) == CadResult.Outcome.SUCCEEDED], now=now
        )
        CadBatch.objects.filter(pk=batch.pk).update(state=CadBatch.State.DONE, finished_at=now)
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
        skipped=counts.get(CadResult.Outcome.SKIPPED, 0),
    )


def _give_up_pending(job: CadJob, reason: str) -> None:
    for batch in CadBatch.objects.filter(job_id=job.pk, state=CadBatch.State.PENDING):
        cad_batch_record(
            job=job,
            batch=batch,
            outcomes=[
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
    if job.succeeded + job.skipped == job.total:
        status = CadJob.Status.SUCCEEDED
    elif job.succeeded + job.skipped == 0:
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
    agent_sync_request(trigger=TRIGGER_CAD_JOB)


def cad_jobs_resume() -> list[CadJob]:
    """Queue again every unfinished job (after a worker died); return them.

    Batches claimed by a dead worker are released after CLAIM_LEASE by the run itself. A job
    whose batches are all done is queued too: its worker may have died between recording the
    last batch and marking the job finished, and the run only has to finish it.
    """
    jobs = list(CadJob.objects.filter(status__in=ACTIVE_STATUSES).order_by("created_at"))
    for job in jobs:
        cad_job_task.enqueue(job_id=job.pk)
    return jobs


def cad_job_results(job: CadJob, *, outcome: str | None = None) -> QuerySet[CadResult]:
    """The job's per-agent results (of one outcome) for the team scope in force: a job that
    touched agents outside it shows only those in it (`cad_job_results_hidden` counts the rest)."""
    results = cad_results_in_scope(job.results.order_by("outcome", "agent_name", "agent_id"))
    if outcome in CadResult.Outcome.values:
        results = results.filter(outcome=outcome)
    return results


def cad_job_results_hidden(job: CadJob) -> int:
    """How many of the job's results are of agents outside the team scope in force."""
    if active_team_scope().is_whole_account:
        return 0
    return job.results.count() - cad_results_in_scope(job.results.all()).count()
