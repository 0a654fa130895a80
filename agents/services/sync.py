"""Keeping the read model in step with DeepCall: the full sync, its queueing and its status.

`agent_sync` fetches every agent through the DeepCall client and mirrors them into the local
tables in one transaction, writing only what changed, so a page never shows a half-synced
table and a sync of an unchanged account of 100,000 agents writes almost nothing.
`agent_sync_request` queues that work on the task queue when the copy is stale (or when asked
to), at most one at a time. `sync_status` tells the pages how old the copy is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from agents.deepcall.errors import DeepCallError
from agents.deepcall.records import AgentListing, AgentRecord
from agents.models import Agent, DeletedAgent, Group, SyncRun, WorkingWindow
from agents.request_memo import forget_all, per_request
from agents.schedules import window_is_unset
from agents.services.changes import AgentSnapshot, ChangeLog, agent_snapshot, record_snapshot
from agents.upstream import get_deepcall_client

logger = logging.getLogger("agents.sync")

# Rows per INSERT/UPDATE: large enough to amortise the round trips, small enough to stay far
# below SQLite's bound-parameter limit (32,766) with the agent table's ~17 columns.
SYNC_BATCH_SIZE = 1000
# Ids per `IN (…)` when deleting: well below every backend's parameter limit.
DELETE_CHUNK_SIZE = 500
DEFAULT_SYNC_TTL = 60  # seconds; settings.DEEPCALL_SYNC_TTL overrides it
# A queued or running sync older than this is taken as dead (worker killed, no worker at all):
# far longer than a sync of 100,000 agents takes, short enough not to block refreshes for long.
SYNC_RUNNING_TIMEOUT = timedelta(minutes=10)
# Closes the race between two requests that both see a stale copy at the same instant; the
# SyncRun row is the lasting guard, this lock only needs to outlive the check-and-create.
REQUEST_LOCK_KEY = "agents:sync:request-lock"
REQUEST_LOCK_SECONDS = 10

# Who asked for a sync (SyncRun.trigger).
TRIGGER_TTL = "ttl"
TRIGGER_BUTTON = "button"
TRIGGER_COMMAND = "command"
TRIGGER_CAD_JOB = "cad_job"
# These ask for fresh data now; only the TTL trigger waits for the copy to be stale.
FORCED_TRIGGERS = frozenset({TRIGGER_BUTTON, TRIGGER_COMMAND, TRIGGER_CAD_JOB})

# The Agent columns a sync writes; `synced_at` is set only when one of them changed.
AGENT_FIELDS = (
    "agent_id_sort",
    "name",
    "email",
    "phone",
    "address",
    "dest_type",
    "dest_value",
    "role_id",
    "role_name",
    "is_active",
    "created_at",
    "parent_path",
    "dids",
    "search_text",
    "sort_group_name",
    "sort_start_minute",
    "pending_deletion",
)


def sync_ttl() -> int:
    """Seconds after which the local copy counts as stale (settings.DEEPCALL_SYNC_TTL)."""
    return int(getattr(settings, "DEEPCALL_SYNC_TTL", DEFAULT_SYNC_TTL))


# --- mapping a record to rows ------------------------------------------------------------------


def agent_search_text(*, agent_id: str, name: str, email: str, phone: str) -> str:
    """The lower-cased text a directory search matches: name, email, phone and id."""
    return " ".join(part for part in (name, email, phone, agent_id) if part).lower()


def agent_id_sort_key(agent_id: str) -> int:
    """The numeric sort key of an id: int(agent_id) when it is a number that fits, else 0."""
    if agent_id.isascii() and agent_id.isdigit() and len(agent_id) <= 18:
        return int(agent_id)
    return 0


def _weekday_mask(weekdays: Iterable[int]) -> int:
    mask = 0
    for day in weekdays:
        if 0 <= day < 7:
            mask |= 1 << day
    return mask


def _agent_values(record: AgentRecord, group_names: dict[str, str]) -> tuple:
    """The AGENT_FIELDS values for a record, in order (comparable with what the DB holds).

    `group_names` are the listing's names by group id (the newest name of each group wins).
    """
    return (
        agent_id_sort_key(record.agent_id),
        record.name,
        record.email,
        record.phone,
        record.address,
        record.dest_type,
        record.dest_value,
        record.role_id,
        record.role_name,
        bool(record.is_active),
        record.created_at,
        record.parent_path,
        list(record.dids),
        agent_search_text(
            agent_id=record.agent_id, name=record.name, email=record.email, phone=record.phone
        ),
        min((group_names[ref.group_id] for ref in record.groups), default=""),
        min((w.start_minute for w in record.windows if not window_is_unset(w)), default=-1),
        bool(record.pending_deletion),
    )


def _agent_row(agent_id: str, values: tuple, now: datetime) -> Agent:
    return Agent(agent_id=agent_id, synced_at=now, **dict(zip(AGENT_FIELDS, values, strict=True)))


def _window_values(record: AgentRecord) -> tuple[tuple[int, int, int], ...]:
    return tuple((_weekday_mask(w.weekdays), w.start_minute, w.end_minute) for w in record.windows)


def _insert_rows(table: str, columns: Sequence[str], rows: Sequence[tuple[int, ...]]) -> None:
    """Insert plain integer rows with one executemany.

    The window and group-link rows are integers only, so they need none of the ORM's value
    preparation; at 100,000 agents (~300,000 such rows) building model instances for them
    took longer than the rest of the sync together.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from our own models
        quote(table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, SYNC_BATCH_SIZE * 10):
            cursor.executemany(sql, chunk)


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the sync ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncChanges:
    created: int
    updated: int  # agents whose fields, hours or groups changed
    deleted: int
    unchanged: int
    groups_changed: int = 0  # groups added, renamed or removed
    deleted_upstream: int = 0  # agents DeepCall lists as deleted (isDeleted), left out

    @property
    def any(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.groups_changed)


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
    try:
        listing = get_deepcall_client().list_agents()
    except DeepCallError as exc:
        code = f" (code {exc.code})" if exc.code is not None else ""
        logger.warning("agent sync failed: %s%s", exc.user_message, code)
        return _finish(run, clock, outcome=SyncRun.Outcome.FAILED, message=exc.user_message)

    changes = _apply_listing(listing, now=timezone.now())
    _refresh_planner_statistics(changes)
    notes = [
        f"{changes.created} new, {changes.updated} changed, {changes.deleted} removed, "
        f"{changes.unchanged} unchanged."
    ]
    if changes.deleted_upstream:
        notes.append(f"{changes.deleted_upstream} agent(s) deleted in DeepCall left out.")
    if listing.skipped:
        notes.append(f"{len(listing.skipped)} unreadable agent(s) skipped.")
    if not listing.complete:
        notes.append("DeepCall's listing stopped early: agents it did not return were kept.")
    agent_count = len(listing.agents) - changes.deleted_upstream
    logger.info("agent sync (%s): %d agents; %s", trigger, agent_count, " ".join(notes))
    return _finish(
        run,
        clock,
        outcome=SyncRun.Outcome.SUCCEEDED,
        message=" ".join(notes),
        agent_count=agent_count,
        skipped_count=len(listing.skipped),
        pages_fetched=listing.pages_fetched,
        data_version=run.pk if changes.any else _current_data_version(),
    )


def _current_data_version() -> int:
    last = SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED).order_by("-started_at")
    return last.values_list("data_version", flat=True).first() or 0


def _finish(run: SyncRun, clock: float, *, outcome: str, message: str, **counts: int) -> SyncRun:
    run.finished_at = timezone.now()
    run.duration_ms = round((time.perf_counter() - clock) * 1000)
    run.outcome = outcome
    run.message = message
    for name, value in counts.items():
        setattr(run, name, value)
    run.save()
    forget_all()  # a request that ran this sync inline must see its outcome
    return run


# Tables the directory's queries join, and the share of agents a sync must add, change or remove
# before the database's planner statistics are refreshed at once (not by autovacuum, later).
READ_MODEL_TABLES = (Agent, WorkingWindow, Agent.groups.through, Group)
ANALYZE_AFTER_CHANGED_SHARE = 0.1


def _refresh_planner_statistics(changes: SyncChanges) -> None:
    """ANALYZE the read model after a sync that changed much of it (the first one above all).

    Until autovacuum got round to it, PostgreSQL planned with the statistics of the old, often
    empty, tables: the "on shift now" filter took 40 ms on 10,000 agents instead of 13. SQLite
    keeps no statistics until asked to, and plans better with them too.
    """
    changed = changes.created + changes.updated + changes.deleted
    if changed <= ANALYZE_AFTER_CHANGED_SHARE * (changed + changes.unchanged):
        return
    with connection.cursor() as cursor:
        for model in READ_MODEL_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# Any constant of our own: the key of the PostgreSQL advisory lock that serialises syncs.
SYNC_ADVISORY_LOCK_ID = 0x5D_C411_5E7C


def _lock_read_model() -> None:
    """Let one sync at a time write the read model, until its transaction ends.

    Two syncs that both deleted and re-inserted one agent's windows would otherwise leave it
    with both copies (each transaction cannot see the other's uncommitted rows). SQLite needs
    nothing more: its IMMEDIATE transactions (settings) already admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SYNC_ADVISORY_LOCK_ID])


@transaction.atomic
def _apply_listing(listing: AgentListing, *, now: datetime) -> SyncChanges:
    _lock_read_model()  # before reading what the table holds, so the diff is against the truth
    records = {r.agent_id: r for r in listing.agents if not r.is_deleted}
    # Deleted in DeepCall (isDeleted): never in the read model, even from a partial listing.
    deleted_upstream = {r.agent_id for r in listing.agents if r.is_deleted} - set(records)
    _record_deleted_upstream(deleted_upstream, listed=set(records), listing=listing, now=now)

    # Groups: keyed by id, since names repeat; the newest name wins.
    group_names: dict[str, str] = {}
    for record in records.values():
        for ref in record.groups:
            group_names[ref.group_id] = ref.name
    existing_groups = dict(Group.objects.values_list("group_id", "name"))
    group_rows = [
        Group(group_id=gid, name=name)
        for gid, name in group_names.items()
        if existing_groups.get(gid) != name
    ]
    groups_changed = len(group_rows)
    for chunk in _chunks(group_rows, SYNC_BATCH_SIZE):
        Group.objects.bulk_create(
            chunk, update_conflicts=True, unique_fields=["group_id"], update_fields=["name"]
        )
    group_pk = dict(Group.objects.values_list("group_id", "pk"))

    # What the table holds now, to write only what changed.
    current: dict[str, tuple[int, tuple]] = {
        row[0]: (row[1], tuple(row[2:]))
        for row in Agent.objects.values_list("agent_id", "pk", *AGENT_FIELDS).iterator(
            chunk_size=5000
        )
    }
    current_windows: dict[int, list[tuple[int, int, int]]] = {}
    for agent_pk, mask, start, end in (
        WorkingWindow.objects.order_by("agent_id", "position", "id")
        .values_list("agent_id", "weekday_mask", "start_minute", "end_minute")
        .iterator(chunk_size=5000)
    ):
        current_windows.setdefault(agent_pk, []).append((mask, start, end))
    links = Agent.groups.through.objects
    current_links: dict[int, set[int]] = {}
    for agent_pk, grp_pk in links.values_list("agent_id", "group_id").iterator(chunk_size=5000):
        current_links.setdefault(agent_pk, set()).add(grp_pk)

    # The history of what changed is written with the changes themselves (same transaction).
    log = ChangeLog(now=now)
    first_load = not current
    held_group = _HeldGroups(existing_groups, group_pk, current_links)

    to_write: list[Agent] = []
    relations_changed: list[str] = []  # agent ids whose windows or groups must be replaced
    updated = unchanged = 0
    for agent_id, record in records.items():
        values = _agent_values(record, group_names)
        held = current.get(agent_id)
        if held is None:
            to_write.append(_agent_row(agent_id, values, now))
            relations_changed.append(agent_id)
            if not first_load:
                log.added(agent_id, _record_snapshot(record, group_names))
            continue
        pk, held_values = held
        fields_changed = held_values != values
        windows = _window_values(record)
        groups = {group_pk[g.group_id] for g in record.groups}
        if fields_changed:
            to_write.append(_agent_row(agent_id, values, now))
        relations_differ = (
            tuple(current_windows.get(pk, ())) != windows or current_links.get(pk, set()) != groups
        )
        if relations_differ:
            relations_changed.append(agent_id)
        if fields_changed or relations_differ:
            updated += 1
            log.changed(
                agent_id,
                before=_held_snapshot(held_values, current_windows.get(pk, ()), held_group(pk)),
                after=_record_snapshot(record, group_names),
            )
        else:
            unchanged += 1
    created = len(records) - updated - unchanged
    if first_load and created:
        log.first_load(created)

    for chunk in _chunks(to_write, SYNC_BATCH_SIZE):
        Agent.objects.bulk_create(
            chunk,
            update_conflicts=True,
            unique_fields=["agent_id"],
            update_fields=[*AGENT_FIELDS, "synced_at"],
        )

    if relations_changed:
        agent_pk = (
            {aid: pk for aid, (pk, _) in current.items()}
            if created == 0
            else dict(Agent.objects.values_list("agent_id", "pk"))
        )
        for chunk in _chunks(relations_changed, SYNC_BATCH_SIZE):
            pks = [agent_pk[aid] for aid in chunk]
            existing = [pk for aid, pk in zip(chunk, pks, strict=True) if aid in current]
            for part in _chunks(existing, DELETE_CHUNK_SIZE):
                WorkingWindow.objects.filter(agent_id__in=part).delete()
                links.filter(agent_id__in=part).delete()
            window_rows = []
            link_rows = []
            for aid, pk in zip(chunk, pks, strict=True):
                record = records[aid]
                window_rows.extend(
                    (pk, mask, start, end, position)
                    for position, (mask, start, end) in enumerate(_window_values(record))
                )
                link_rows.extend((pk, gpk) for gpk in {group_pk[g.group_id] for g in record.groups})
            _insert_rows(
                WorkingWindow._meta.db_table,
                ("agent_id", "weekday_mask", "start_minute", "end_minute", "position"),
                window_rows,
            )
            _insert_rows(links.model._meta.db_table, ("agent_id", "group_id"), link_rows)

    # Agents deleted in DeepCall go even when the listing stopped early: it named them.
    gone_ids = deleted_upstream & set(current)
    if listing.complete:
        # An agent that could not be read this time is not deleted for it.
        keep = set(records) | {s.agent_id for s in listing.skipped if s.agent_id}
        gone_ids |= {aid for aid in current if aid not in keep}
    gone = []
    for aid, (pk, held_values) in current.items():
        if aid in gone_ids:
            gone.append(pk)
            log.removed(
                aid,
                before=_held_snapshot(held_values, current_windows.get(pk, ()), held_group(pk)),
            )
    for part in _chunks(gone, DELETE_CHUNK_SIZE):
        Agent.objects.filter(pk__in=part).delete()
    deleted = len(gone)
    if listing.complete:
        # Groups no agent belongs to any more would only clutter the filter.
        emptied, _ = (
            Group.objects.exclude(group_id__in=list(group_names)).filter(agents=None).delete()
        )
        groups_changed += emptied

    log.save()
    return SyncChanges(
        created=created,
        updated=updated,
        deleted=deleted,
        unchanged=unchanged,
        groups_changed=groups_changed,
        deleted_upstream=len(deleted_upstream),
    )


class _HeldGroups:
    """(group id, name) of the groups the read model held for an agent, before this sync."""

    def __init__(
        self,
        names: dict[str, str],
        group_pk: dict[str, int],
        links: dict[int, set[int]],
    ) -> None:
        self._links = links
        self._names = names
        self._group_id = {pk: gid for gid, pk in group_pk.items()}

    def __call__(self, agent_pk: int) -> list[tuple[str, str]]:
        ids = (self._group_id[pk] for pk in self._links.get(agent_pk, ()))
        return [(gid, self._names.get(gid, "")) for gid in ids]


_FIELD_INDEX = {name: index for index, name in enumerate(AGENT_FIELDS)}


def _held_snapshot(values: tuple, windows, groups: list[tuple[str, str]]) -> AgentSnapshot:
    """The snapshot of an agent as the read model holds it (`values` in AGENT_FIELDS order)."""
    held = {name: values[_FIELD_INDEX[name]] for name in _SNAPSHOT_FIELDS}
    return agent_snapshot(**held, groups=groups, windows=windows)


_SNAPSHOT_FIELDS = (
    "pending_deletion",
    "name",
    "email",
    "phone",
    "address",
    "dest_type",
    "dest_value",
    "role_id",
    "role_name",
    "is_active",
)


def _record_snapshot(record: AgentRecord, group_names: dict[str, str]) -> AgentSnapshot:
    return record_snapshot(record, group_names=group_names, windows=_window_values(record))


def _record_deleted_upstream(
    deleted: set[str], *, listed: set[str], listing: AgentListing, now: datetime
) -> None:
    """Keep the ids DeepCall lists as deleted, for CAD jobs that still hold one of them.

    An agent listed again without the flag is forgotten; a complete listing replaces the set.
    """
    rows = [DeletedAgent(agent_id=agent_id, seen_at=now) for agent_id in sorted(deleted)]
    for chunk in _chunks(rows, SYNC_BATCH_SIZE):
        DeletedAgent.objects.bulk_create(
            chunk, update_conflicts=True, unique_fields=["agent_id"], update_fields=["seen_at"]
        )
    if listing.complete:
        # Every id still deleted was just stamped `now`; the older ones were not listed again.
        DeletedAgent.objects.filter(seen_at__lt=now).delete()
        return
    for part in _chunks(sorted(listed), DELETE_CHUNK_SIZE):
        DeletedAgent.objects.filter(agent_id__in=part).delete()


# --- queueing ----------------------------------------------------------------------------------


def _expire_dead_runs(now: datetime) -> None:
    SyncRun.objects.filter(
        outcome=SyncRun.Outcome.RUNNING, started_at__lt=now - SYNC_RUNNING_TIMEOUT
    ).update(
        outcome=SyncRun.Outcome.FAILED,
        finished_at=now,
        message="The sync did not finish (the background worker stopped or is not running).",
    )


def agent_sync_request(*, trigger: str, force: bool | None = None) -> bool:
    """Queue a background sync unless one is already queued or running; True when queued.

    Without `force`, only the triggers in FORCED_TRIGGERS (button, command, cad_job) queue a
    sync regardless of the copy's age; the TTL trigger queues one only when the last good sync
    is older than DEEPCALL_SYNC_TTL (or there was none, or the last attempt failed long enough
    ago). Never blocks on DeepCall: the work happens in `agents.tasks.sync.agent_sync_task`.
    """
    from agents.tasks.sync import agent_sync_task

    if force is None:
        force = trigger in FORCED_TRIGGERS
    if not force:
        # Every directory view asks: answered from the status the page reads anyway, with no
        # write, so a copy being refreshed costs the pages nothing.
        status = sync_status()
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
    forget_all()
    return True


# --- status ------------------------------------------------------------------------------------


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
        return self.last_success.data_version if self.last_success is not None else 0

    @property
    def is_due(self) -> bool:
        """Whether the TTL asks for a sync: measured from the last attempt, good or bad, so a
        DeepCall outage is retried once per TTL rather than on every page view."""
        return self.attempt_age_seconds is None or self.attempt_age_seconds >= self.ttl_seconds

    @property
    def is_stale(self) -> bool:
        return self.age_seconds is None or self.age_seconds >= self.ttl_seconds

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


def age_words(seconds: int) -> str:
    """A short age: "just now", "45 s ago", "3 min ago", "2 h ago", "4 days ago"."""
    if seconds < 5:
        return "just now"
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min ago"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h ago"
    days = round(seconds / 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


# Enough recent runs to find the last good one in one query, even after a run of failures.
RECENT_RUNS = 20


@per_request
def sync_status() -> SyncStatus:
    """The freshness of the read model: last good sync, last run, any run in progress, age.

    Read once per request (the staleness check, the banner and the cache keys share it).
    """
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
