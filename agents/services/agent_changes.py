"""The history of agent changes: what each sync found different, kept for a while.

Recording: `agent_sync` hands a `ChangeLog` every agent it adds, removes or changes, with an
`AgentSnapshot` of what the read model held and of what DeepCall now says; the log turns that
into `AgentChange` rows (one per changed field) and writes them in the sync's transaction, so a
sync that rolls back leaves no history, and two syncs never record the same change (the second
one diffs against what the first wrote). Only the fields in `AgentChange.Field` are compared:
never a secret, which the client dropped long before.

Reading: `changes_matching` (typed `ChangeFilters`), `change_rows` and `change_export_rows` for
the page and the CSV, `agent_changes_for` for an agent's panel, `changes_unseen_count` for the
home page. Retention: `agent_change_prune`, run on the
worker as `agent_change_prune_task` after each sync, never by a web request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet
from django.tasks import task
from django.utils import timezone

from agents import working_hours
from agents.deepcall.records import AgentRecord
from agents.models import AgentChange, ChangesSeen, Group
from agents.services.agent_queries import (
    duplicated_group_names,
    group_display_name,
    neutralise_cell,
)
from agents.services.read_model_cache import cached_per_version
from agents.services.team_scopes import changes_in_scope, group_id_in_scope, in_any_group_q

# How long changes are kept when DEEPCALL_CHANGE_RETENTION_DAYS is not set: a quarter covers
# "what changed since the last review" for the teams we know, at a few MB for a busy account.
DEFAULT_RETENTION_DAYS = 90
# Rows per INSERT: a sync that changes many agents writes its history in a few statements.
CHANGE_BATCH_SIZE = 1000
# Rows per DELETE when pruning, so one prune never holds a long lock on a large table.
PRUNE_CHUNK_SIZE = 5000

Field = AgentChange.Field
Kind = AgentChange.Kind


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """The recorded fields of one agent, as plain comparable values."""

    name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    destination: str = ""
    role: str = ""
    status: bool = True  # active
    groups: tuple[tuple[str, str], ...] = ()  # (group id, name), sorted by id
    hours: tuple[tuple[int, int, int], ...] = ()  # (weekday mask, from, to), in the API's order
    pending_deletion: bool = False

    @property
    def group_ids(self) -> tuple[str, ...]:
        return tuple(group_id for group_id, _ in self.groups)

    def value(self, name: str) -> object:
        """The JSON-ready value of one recorded field."""
        value = getattr(self, name)
        if name == Field.GROUPS:
            return [list(group) for group in value]
        if name == Field.HOURS:
            return [list(window) for window in value]
        return value


def agent_snapshot(
    *,
    name: str,
    email: str,
    phone: str,
    address: str,
    dest_type: str,
    dest_value: str,
    role_id: str,
    role_name: str,
    is_active: bool,
    groups: Iterable[tuple[str, str]],
    windows: Iterable[tuple[int, int, int]],
    pending_deletion: bool = False,
) -> AgentSnapshot:
    """A snapshot from the read model's values or a record's: the one place both are mapped."""
    return AgentSnapshot(
        name=name,
        email=email,
        phone=phone,
        address=address,
        destination=" ".join(part for part in (dest_type, dest_value) if part),
        role=role_name or role_id,
        status=bool(is_active),
        groups=tuple(sorted(groups)),
        hours=tuple(windows),
        pending_deletion=bool(pending_deletion),
    )


def record_snapshot(
    record: AgentRecord, *, group_names: dict[str, str], windows: Sequence[tuple[int, int, int]]
) -> AgentSnapshot:
    """The snapshot of what DeepCall says of an agent (`windows` as the sync stores them)."""
    return agent_snapshot(
        name=record.name,
        email=record.email,
        phone=record.phone,
        address=record.address,
        dest_type=record.dest_type,
        dest_value=record.dest_value,
        role_id=record.role_id,
        role_name=record.role_name,
        is_active=record.is_active,
        groups={(ref.group_id, group_names.get(ref.group_id, ref.name)) for ref in record.groups},
        windows=windows,
        pending_deletion=record.pending_deletion,
    )


def snapshot_differences(before: AgentSnapshot, after: AgentSnapshot) -> list[str]:
    """The recorded fields that differ, in `AgentChange.Field` order.

    Groups compare by id only: a group renamed in DeepCall is not a change of each of its
    agents (it would bury the history under one entry per member).
    """
    changed = []
    for name in Field.values:
        if name == Field.GROUPS:
            differs = before.group_ids != after.group_ids
        else:
            differs = getattr(before, name) != getattr(after, name)
        if differs:
            changed.append(name)
    return changed


@dataclass
class ChangeLog:
    """Collects one sync's changes; `save()` writes them (inside the sync's transaction)."""

    now: datetime
    rows: list[AgentChange] = field(default_factory=list)

    def first_load(self, count: int) -> None:
        """The mirror was empty: one entry says "first load of N agents", rather than N
        additions that would bury every later change."""
        self.rows.append(AgentChange(recorded_at=self.now, kind=Kind.FIRST_LOAD, after=count))

    def added(self, agent_id: str, after: AgentSnapshot) -> None:
        self._row(agent_id, after, kind=Kind.ADDED)

    def removed(self, agent_id: str, before: AgentSnapshot) -> None:
        self._row(agent_id, before, kind=Kind.REMOVED)

    def changed(self, agent_id: str, before: AgentSnapshot, after: AgentSnapshot) -> None:
        for name in snapshot_differences(before, after):
            self._row(
                agent_id,
                after,
                kind=Kind.CHANGED,
                field=name,
                before=before.value(name),
                after=after.value(name),
            )

    def _row(self, agent_id: str, snapshot: AgentSnapshot, *, kind: str, **values: object) -> None:
        self.rows.append(
            AgentChange(
                recorded_at=self.now,
                agent_id=agent_id,
                agent_name=snapshot.name,
                kind=kind,
                group_keys=AgentChange.group_keys_for(snapshot.group_ids),
                **values,
            )
        )

    def save(self) -> int:
        """Write the collected changes; returns how many entries were written."""
        for start in range(0, len(self.rows), CHANGE_BATCH_SIZE):
            AgentChange.objects.bulk_create(self.rows[start : start + CHANGE_BATCH_SIZE])
        return len(self.rows)


# --- showing a change --------------------------------------------------------------------------


def change_value_text(name: str, value: object, *, duplicated: frozenset[str]) -> str:
    """A recorded value as the directory shows it: group names (with the id where two groups
    share a name), hours humanised ("Mon–Fri 09:00–18:00"), status and flags as words."""
    if value is None:
        return ""
    if name == Field.GROUPS:
        names = [
            group_display_name(Group(group_id=group_id, name=group_name), duplicated)
            for group_id, group_name in sorted(value, key=lambda g: (g[1], g[0]))
        ]
        return ", ".join(names) if names else "No groups"
    if name == Field.HOURS:
        return working_hours.windows_humanise(working_hours.Window(*window) for window in value)
    if name == Field.STATUS:
        return "Active" if value else "Inactive"
    if name == Field.PENDING_DELETION:
        return "Yes" if value else "No"
    return str(value)


def change_description(change: AgentChange) -> str:
    """What happened, in a few words: "Added", "Removed", "Working hours changed", …"""
    if change.kind == Kind.FIRST_LOAD:
        return f"First load of {change.after} agents"
    if change.kind == Kind.CHANGED:
        return f"{change.get_field_display()} changed"
    return change.get_kind_display()


# --- retention ---------------------------------------------------------------------------------


def change_retention_days() -> int:
    """Days a change is kept (settings.DEEPCALL_CHANGE_RETENTION_DAYS)."""
    return int(getattr(settings, "DEEPCALL_CHANGE_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def agent_change_prune(*, now: datetime | None = None) -> int:
    """Delete the changes older than the retention period; returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=change_retention_days())
    deleted = 0
    while True:
        pks = list(
            AgentChange.objects.filter(recorded_at__lt=cutoff)
            .order_by()
            .values_list("pk", flat=True)[:PRUNE_CHUNK_SIZE]
        )
        if not pks:
            return deleted
        deleted += AgentChange.objects.filter(pk__in=pks).delete()[0]


@task()
def agent_change_prune_task() -> int:
    """`agent_change_prune` on the worker; returns how many changes went."""
    return agent_change_prune()


# --- what a user has not seen yet --------------------------------------------------------------


def changes_seen_at(*, user) -> datetime | None:
    """When `user` last opened the change history, or None when never."""
    return ChangesSeen.objects.filter(user=user).values_list("seen_at", flat=True).first()


def changes_mark_seen(*, user, at: datetime | None = None) -> None:
    """Remember that `user` has seen the history up to now."""
    ChangesSeen.objects.update_or_create(user=user, defaults={"seen_at": at or timezone.now()})


def changes_unseen_count(*, user) -> tuple[int, datetime | None]:
    """How many changes arrived since `user` last opened the history, and since when.

    A user who never opened it counts from the first change kept, so the first visit is not
    a surprise of thousands: the retention period bounds it anyway.
    """
    seen = changes_seen_at(user=user)
    changes = changes_in_scope()
    if seen is not None:
        changes = changes.filter(recorded_at__gt=seen)
    return changes.count(), seen


# --- which changes ------------------------------------------------------------------------------

# The "Change" filter's value for "any field changed"; the others are a Kind or a Field.
CHANGE_KIND_ANY_FIELD = "changed"


@dataclass(frozen=True)
class ChangeFilters:
    """Which changes a list shows; the defaults select every change.

    Built from a query string by the web layer (`agents.liststate.ChangeListState`), which
    drops invalid values.
    """

    agent: str = ""  # an agent's id exactly, or part of its name
    group_id: str = ""  # the agent was in this group at the time
    kind: str = ""  # a Kind, a Field (that field changed) or CHANGE_KIND_ANY_FIELD
    date_from: date | None = None  # days in the account's time zone, both included
    date_to: date | None = None
    after: datetime | None = None  # strictly after this instant ("since your last visit")


def changes_matching(
    filters: ChangeFilters, *, changes: QuerySet[AgentChange] | None = None
) -> QuerySet[AgentChange]:
    """The changes (of `changes`, by default all) that `filters` selects within the team scope
    in force (`services.team_scopes.changes_in_scope`), newest first."""
    queryset = AgentChange.objects.all() if changes is None else changes
    if not (filters.group_id and group_id_in_scope(filters.group_id)):
        # A group of the scope already keeps the history to the scope.
        queryset = changes_in_scope(queryset)
    if filters.agent:
        queryset = queryset.filter(
            Q(agent_id=filters.agent) | Q(agent_name__icontains=filters.agent)
        )
    if filters.group_id:
        queryset = queryset.filter(in_any_group_q([filters.group_id]))
    if filters.kind == CHANGE_KIND_ANY_FIELD:
        queryset = queryset.filter(kind=Kind.CHANGED)
    elif filters.kind in Field.values:
        queryset = queryset.filter(kind=Kind.CHANGED, field=filters.kind)
    elif filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    zone = working_hours.account_zone()
    # Whole days in the account's time zone, as plain bounds an index on the time can use.
    if filters.date_from is not None:
        queryset = queryset.filter(
            recorded_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=zone)
        )
    if filters.date_to is not None:
        next_day = filters.date_to + timedelta(days=1)
        queryset = queryset.filter(
            recorded_at__lt=datetime.combine(next_day, time.min, tzinfo=zone)
        )
    if filters.after is not None:
        queryset = queryset.filter(recorded_at__gt=filters.after)
    return queryset.order_by("-recorded_at", "-id")


def change_matching_count(filters: ChangeFilters) -> int:
    """How many changes `filters` selects (in the team scope), counted once for each filter
    until a change is recorded or pruned: the history's newest and oldest ids are part of the
    key (two index lookups), as counting a team's changes reads every row's groups."""
    bounds = AgentChange.objects.aggregate(oldest=Min("id"), newest=Max("id"))
    return cached_per_version(
        "change-count",
        lambda: changes_matching(filters).count(),
        filters,
        bounds["oldest"],
        bounds["newest"],
    )


# --- the page and the CSV ----------------------------------------------------------------------

# 50 rows: a week of a busy account's changes on two screens, rendered in a few ms.
CHANGES_PER_PAGE = 50


# The CSV's header: people's spreadsheets and scripts read these names, so they never change.
EXPORT_COLUMNS = ("time", "agent id", "agent name", "change", "field", "before", "after")
EXPORT_CHUNK_SIZE = 2000
# Changes listed in an agent's detail panel; the rest are one link away.
AGENT_PANEL_CHANGES = 10


@dataclass(frozen=True)
class ShownChange:
    """One change as pages show it: the row, its words, and both values in human form."""

    change: AgentChange
    description: str
    before: str
    after: str


def change_rows(changes: Iterable[AgentChange]) -> list[ShownChange]:
    """Changes ready to show (groups named as the directory names them, hours humanised)."""
    duplicated = duplicated_group_names()
    return [
        ShownChange(
            change=change,
            description=change_description(change),
            before=_value_text(change, change.before, duplicated),
            after=_value_text(change, change.after, duplicated),
        )
        for change in changes
    ]


def _value_text(change: AgentChange, value: object, duplicated: frozenset[str]) -> str:
    if change.kind != Kind.CHANGED:
        return ""
    return change_value_text(change.field, value, duplicated=duplicated)


def agent_changes_for(*, agent_id: str, limit: int = AGENT_PANEL_CHANGES) -> list[ShownChange]:
    """One agent's latest changes, newest first."""
    return change_rows(changes_in_scope(AgentChange.objects.filter(agent_id=agent_id))[:limit])


def change_export_rows(*, filters: ChangeFilters) -> Iterator[list[str]]:
    """The CSV rows (header first) of the changes `filters` selects, newest first, streamed in
    chunks; each cell neutralised against formula injection, times in the account's zone."""
    duplicated = duplicated_group_names()
    zone = working_hours.account_zone()
    yield list(EXPORT_COLUMNS)
    for change in changes_matching(filters).iterator(chunk_size=EXPORT_CHUNK_SIZE):
        row = [
            change.recorded_at.astimezone(zone).isoformat(timespec="seconds"),
            change.agent_id,
            change.agent_name,
            change_description(change) if change.kind == Kind.FIRST_LOAD else change.kind,
            change.get_field_display() if change.field else "",
            _value_text(change, change.before, duplicated),
            _value_text(change, change.after, duplicated),
        ]
        yield [neutralise_cell(cell) for cell in row]
