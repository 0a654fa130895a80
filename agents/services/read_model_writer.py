"""Writing DeepCall's listing into the read model: the rows, the SQL, the writer.

`ReadModelWriter` compares each page with what the read model holds and writes only what
differs, inside the sync's transaction (`read_model_write`); `read_model_analyze` refreshes
the planner's statistics after a sync that changed much. `services.read_model_sync` runs it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from agents.deepcall.client import AgentPages
from agents.deepcall.records import AgentListing, AgentRecord
from agents.models import Agent, DeletedAgent, Group, WorkingWindow, group_keys_for
from agents.services.agent_changes import (
    AgentSnapshot,
    ChangeLog,
    agent_snapshot,
    record_snapshot,
)
from agents.services.locks import lock_until_commit
from agents.working_hours import mask_from_days, window_is_unset

# Rows per INSERT/UPDATE: large enough to amortise the round trips, small enough to stay far
# below SQLite's bound-parameter limit (32,766) with the agent table's ~17 columns.
SYNC_BATCH_SIZE = 1000
# Ids per `IN (…)` when deleting: well below every backend's parameter limit.
DELETE_CHUNK_SIZE = 500

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
    "group_keys",
)


# --- mapping a record to rows ------------------------------------------------------------------


def agent_search_text(*, agent_id: str, name: str, email: str, phone: str) -> str:
    """The lower-cased text a directory search matches: name, email, phone and id."""
    return " ".join(part for part in (name, email, phone, agent_id) if part).lower()


def agent_id_sort_key(agent_id: str) -> int:
    """The numeric sort key of an id: int(agent_id) when it is a number that fits, else 0."""
    if agent_id.isascii() and agent_id.isdigit() and len(agent_id) <= 18:
        return int(agent_id)
    return 0


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
        group_keys_for(ref.group_id for ref in record.groups),
    )


def _window_values(record: AgentRecord) -> tuple[tuple[int, int, int], ...]:
    return tuple((mask_from_days(w.weekdays), w.start_minute, w.end_minute) for w in record.windows)


# Part of every digest: change it when the same record should be written differently, so the
# next sync compares every agent in full rather than trusting digests of the old mapping.
DIGEST_VERSION = 2


def agent_digest(fingerprint: str) -> str:
    """What Agent.sync_digest holds for a record with this fingerprint ("" when it has none).

    The fingerprint is a hash of the entry as DeepCall sent it (secrets left out), so an agent
    whose digest matches is unchanged and the sync does not even parse its entry: an unchanged
    account costs one narrow query per page. An entry that differs only in what the sync does
    not keep is compared in full, found unchanged, and only its digest is written.
    """
    if not fingerprint:
        return ""
    text = f"{DIGEST_VERSION}:{fingerprint}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _execute_many(sql: str, rows: Sequence[Sequence[object]]) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, SYNC_BATCH_SIZE * 10):
            cursor.executemany(sql, chunk)


def _insert_rows(table: str, columns: Sequence[str], rows: Sequence[tuple[int, ...]]) -> None:
    """Insert plain integer rows with one executemany.

    The window and group-link rows are integers only, so they need none of the ORM's value
    preparation; at 100,000 agents (~300,000 such rows) building model instances for them
    took longer than the rest of the sync together.
    """
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from our own models
        quote(table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    _execute_many(sql, rows)


# The agent row as the upsert writes it: the sync's columns, then these.
AGENT_ROW_COLUMNS = ("agent_id", *AGENT_FIELDS, "synced_at", "sync_digest")


def _column_preparers() -> list[tuple[int, Callable[[object], object]]]:
    """(column index, how its value becomes a database parameter) for the columns that need
    the field's own preparation: dates and JSON. The rest go as they are: the ORM's per-value
    work for 100,000 agents took a third of a first sync."""
    preparers = []
    for index, name in enumerate(AGENT_ROW_COLUMNS):
        field = Agent._meta.get_field(name)
        if field.get_internal_type() in {"DateTimeField", "JSONField"}:
            preparers.append(
                (index, lambda value, field=field: field.get_db_prep_save(value, connection))
            )
    return preparers


def _upsert_agents(rows: Sequence[tuple]) -> None:
    """Insert or update agent rows (AGENT_ROW_COLUMNS order) by agent id, in one statement
    per chunk on both SQLite and PostgreSQL."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [Agent._meta.get_field(name).column for name in AGENT_ROW_COLUMNS]
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns[1:])
    names = ", ".join(quote(c) for c in columns)
    params = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {quote(Agent._meta.db_table)} ({names}) VALUES ({params}) "  # noqa: S608 - names from our own model
        f"ON CONFLICT ({quote(columns[0])}) DO UPDATE SET {updates}"
    )
    preparers = _column_preparers()
    # Each distinct value is prepared once: every row shares the sync's time, nearly every
    # row the same empty DID list (preparing them row by row took a twentieth of a first sync).
    done: dict[tuple[int, object], object] = {}
    prepared = []
    for row in rows:
        values = list(row)
        for index, prepare in preparers:
            value = values[index]
            key = (index, tuple(value) if isinstance(value, list) else value)
            if key not in done:
                done[key] = prepare(value)
            values[index] = done[key]
        prepared.append(values)
    _execute_many(sql, prepared)


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the writer ----------------------------------------------------------------------------------


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


# Tables the directory's queries join, and the share of agents a sync must add, change or remove
# before the database's planner statistics are refreshed at once (not by autovacuum, later).
READ_MODEL_TABLES = (Agent, WorkingWindow, Agent.groups.through, Group)
ANALYZE_AFTER_CHANGED_SHARE = 0.1


def read_model_analyze(changes: SyncChanges) -> None:
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


def _defer_indexes() -> list[str]:
    """Before a first load on SQLite: drop the read model's plain indexes; the statements that
    build them again (`_build_indexes`, before the load's transaction ends).

    SQLite builds an index over rows already written in a third of the time it takes to keep
    it up to date row by row (100,000 agents: 2.7 s of CPU with the indexes, 1.2 s after).
    Both steps are in the sync's transaction: readers never see the tables without them, and
    a failed sync rolls the drop back. Unique indexes stay: the upsert needs them.
    """
    if connection.vendor != "sqlite":
        return []
    tables = {model._meta.db_table for model in (Agent, WorkingWindow, Agent.groups.through)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'")
        indexes = [
            (name, sql)
            for name, table, sql in cursor.fetchall()
            if table in tables and sql and not sql.startswith("CREATE UNIQUE")
        ]
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _, sql in indexes]


def _build_indexes(statements: Sequence[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@dataclass(frozen=True, slots=True)
class HeldAgent:
    """One agent as the read model holds it, or as a record would be written."""

    values: tuple  # AGENT_FIELDS, in order
    windows: tuple[tuple[int, int, int], ...]  # (weekday mask, start, end), in order
    group_ids: frozenset[str]


class ReadModelWriter:
    """Writes a listing into the read model page by page, inside the sync's transaction.

    `unchanged_among` tells the listing which entries the read model holds exactly so (their
    digest, from the entry's fingerprint, matches the stored one): those are not even parsed,
    only counted (`note_unchanged`). `apply_page` is where the other agents meet what the read
    model holds of them: an agent whose digest matches is unchanged all the same; the
    others are compared with their full stored state (`_held`) and are new, changed (columns,
    windows or groups differ) or unchanged after all (only the digest was out of date). Only
    what differs is written, and recorded in the change history (`log`, written page by page
    in the same transaction). `finish` removes the agents the listing no longer has, unless it
    ended early. Nothing but ids outlives a page, so memory stays flat however many agents the
    account has.

    `record_changes=False` writes the read model without a change history: no entry, and no
    snapshot of an agent built for one (`bench/changes_bench.py` measures what recording
    costs this way). The sync always records.
    """

    def __init__(self, *, now: datetime, record_changes: bool = True):
        self.now = now
        self.record_changes = record_changes
        self.group_names: dict[str, str] = {}  # the listing's names so far; the newest wins
        self._held_group_names = dict(Group.objects.values_list("group_id", "name"))
        self._group_pk = dict(Group.objects.values_list("group_id", "pk"))
        # Group names as they were before this sync, for the "before" side of the history.
        self._group_names_before = dict(self._held_group_names)
        self.created = self.updated = self.unchanged = self.groups_changed = 0
        self.deleted = self.deleted_upstream = 0
        self.log = ChangeLog(now=now)
        # An empty mirror is a first load: one history entry rather than one per agent.
        self.first_load = not Agent.objects.exists()
        self._indexes_to_build = _defer_indexes() if self.first_load else []
        # The ids remembered as deleted upstream (a few per thousand agents), so a page whose
        # listed agents include none of them costs no query; and the deleted ids this listing
        # named, stamped a batch at a time rather than a statement per page.
        self._known_deleted = set(DeletedAgent.objects.values_list("agent_id", flat=True))
        self._deleted_to_stamp: list[str] = []

    def apply_page(self, records: Sequence[AgentRecord]) -> None:
        """Compare one page's agents with the read model and write what differs."""
        # Deleted in DeepCall (isDeleted): never in the read model, even from a partial listing.
        deleted = [r.agent_id for r in records if r.is_deleted]
        records = [r for r in records if not r.is_deleted]
        # One query says which of the page's agents the read model holds, and their digests;
        # none, on a first load (a listing names each agent once).
        stored = (
            {} if self.first_load else self._stored_digests([r.agent_id for r in records] + deleted)
        )
        self._note_deleted_upstream(
            deleted, listed=[r.agent_id for r in records], held=[d for d in deleted if d in stored]
        )
        self._write_groups(records)
        by_id = {record.agent_id: record for record in records}
        digests = {agent_id: agent_digest(record.fingerprint) for agent_id, record in by_id.items()}
        candidates = [
            aid
            for aid, digest in digests.items()
            if not digest or stored.get(aid, (0, ""))[1] != digest
        ]
        self.unchanged += len(by_id) - len(candidates)
        if not candidates:
            return
        states = {agent_id: self._state(by_id[agent_id]) for agent_id in candidates}
        held = self._held([aid for aid in candidates if aid in stored])
        rows: list[tuple] = []  # new or changed columns
        relations: list[tuple[str, HeldAgent, int | None]] = []  # windows and groups to set
        digest_only: list[tuple[str, int]] = []
        for agent_id in candidates:
            state, digest = states[agent_id], digests[agent_id]
            old = held.get(agent_id)
            if old is None:
                self.created += 1
                rows.append((agent_id, *state.values, self.now, digest))
                relations.append((agent_id, state, None))
                if self.record_changes and not self.first_load:
                    self.log.added(agent_id, self._record_snapshot(by_id[agent_id], state))
                continue
            pk, old_state = old
            if old_state == state:
                self.unchanged += 1
                digest_only.append((digest, pk))
                continue
            self.updated += 1
            if self.record_changes:
                self.log.changed(
                    agent_id,
                    before=self._held_snapshot(old_state),
                    after=self._record_snapshot(by_id[agent_id], state),
                )
            if old_state.values != state.values:
                rows.append((agent_id, *state.values, self.now, digest))
            else:
                digest_only.append((digest, pk))
            if (old_state.windows, old_state.group_ids) != (state.windows, state.group_ids):
                relations.append((agent_id, state, pk))
        _upsert_agents(rows)
        self._write_digests(digest_only)
        self._write_relations(relations)
        self._save_log()

    def unchanged_among(self, fingerprints: Mapping[str, str]) -> set[str]:
        """The ids, among these (agent id → entry fingerprint), of the agents the read model
        holds exactly as those entries say: the listing need not parse them (AgentPages)."""
        if self.first_load:
            return set()
        stored = self._stored_digests(list(fingerprints))
        return {
            agent_id
            for agent_id, fingerprint in fingerprints.items()
            if agent_id in stored and stored[agent_id][1] == agent_digest(fingerprint)
        }

    def note_unchanged(self, agent_ids: Sequence[str]) -> None:
        """Count agents the listing recognised as unchanged (`unchanged_among`); nothing is
        written for them, unless one was remembered as deleted upstream."""
        self.unchanged += len(agent_ids)
        self._note_deleted_upstream([], listed=agent_ids, held=[])

    def finish(self, *, complete: bool, keep_ids: set[str]) -> SyncChanges:
        """Remove the agents not listed (when the listing is complete); the counts."""
        _build_indexes(self._indexes_to_build)
        self._indexes_to_build = []
        self._stamp_deleted()
        if complete and not self.first_load:  # a first load holds only agents it was given
            self._remove(
                [
                    agent_id
                    for agent_id in Agent.objects.values_list("agent_id", flat=True).iterator(
                        chunk_size=5000
                    )
                    if agent_id not in keep_ids
                ]
            )
        if complete:
            # Every id still deleted upstream was just stamped; the others were not listed.
            DeletedAgent.objects.filter(seen_at__lt=self.now).delete()
            # Groups no agent belongs to any more would only clutter the filter.
            emptied, _ = (
                Group.objects.exclude(group_id__in=list(self.group_names))
                .filter(agents=None)
                .delete()
            )
            self.groups_changed += emptied
        if self.record_changes and self.first_load and self.created:
            self.log.first_load(self.created)
        self._save_log()
        return SyncChanges(
            created=self.created,
            updated=self.updated,
            deleted=self.deleted,
            unchanged=self.unchanged,
            groups_changed=self.groups_changed,
            deleted_upstream=self.deleted_upstream,
        )

    def _remove(self, agent_ids: Sequence[str]) -> None:
        """Delete these agents from the read model, recording each in the history."""
        for part in _chunks(agent_ids, DELETE_CHUNK_SIZE):
            held = self._held(list(part))
            if self.record_changes:
                for agent_id, (_, state) in held.items():
                    self.log.removed(agent_id, before=self._held_snapshot(state))
            Agent.objects.filter(pk__in=[pk for pk, _ in held.values()]).delete()
            self.deleted += len(held)
            self._save_log()

    def _note_deleted_upstream(
        self, deleted: list[str], *, listed: Sequence[str], held: list[str]
    ) -> None:
        """Keep the ids DeepCall lists as deleted, for CAD jobs that still hold one of them,
        and take those agents out of the read model at once (`held`: the ones it has): the
        listing named them, so even one that stops early removes them. An agent listed again
        without the flag is forgotten."""
        self.deleted_upstream += len(deleted)
        self._deleted_to_stamp.extend(deleted)
        if len(self._deleted_to_stamp) >= SYNC_BATCH_SIZE:
            self._stamp_deleted()
        undeleted = [agent_id for agent_id in listed if agent_id in self._known_deleted]
        if undeleted:
            self._known_deleted.difference_update(undeleted)
            for part in _chunks(undeleted, DELETE_CHUNK_SIZE):
                DeletedAgent.objects.filter(agent_id__in=part).delete()
        if held:
            self._remove(held)

    def _stamp_deleted(self) -> None:
        """Write the deleted ids noted so far, stamped with this sync's time: `finish` forgets
        the ones no longer listed as deleted by that stamp."""
        for chunk in _chunks(self._deleted_to_stamp, SYNC_BATCH_SIZE):
            DeletedAgent.objects.bulk_create(
                [DeletedAgent(agent_id=agent_id, seen_at=self.now) for agent_id in chunk],
                update_conflicts=True,
                unique_fields=["agent_id"],
                update_fields=["seen_at"],
            )
        self._known_deleted.update(self._deleted_to_stamp)
        self._deleted_to_stamp.clear()

    # --- the change history ---------------------------------------------------------------

    def _record_snapshot(self, record: AgentRecord, state: HeldAgent) -> AgentSnapshot:
        return record_snapshot(record, group_names=self.group_names, windows=state.windows)

    def _held_snapshot(self, state: HeldAgent) -> AgentSnapshot:
        """The snapshot of an agent as the read model held it before this sync."""
        held = {name: state.values[_FIELD_INDEX[name]] for name in _SNAPSHOT_FIELDS}
        groups = [(gid, self._group_names_before.get(gid, "")) for gid in state.group_ids]
        return agent_snapshot(**held, groups=groups, windows=state.windows)

    def _save_log(self) -> None:
        self.log.save()
        self.log.rows.clear()  # written: a page's history is not held to the end

    # --- one page -----------------------------------------------------------------------

    def _state(self, record: AgentRecord) -> HeldAgent:
        return HeldAgent(
            values=_agent_values(record, self.group_names),
            windows=_window_values(record),
            group_ids=frozenset(g.group_id for g in record.groups),
        )

    def _write_groups(self, records: Sequence[AgentRecord]) -> None:
        """Groups are keyed by id, since names repeat; the newest name wins."""
        for record in records:
            for ref in record.groups:
                self.group_names[ref.group_id] = ref.name
        changed = {
            gid: name
            for gid, name in self.group_names.items()
            if self._held_group_names.get(gid) != name
        }
        if not changed:
            return
        Group.objects.bulk_create(
            [Group(group_id=gid, name=name) for gid, name in changed.items()],
            update_conflicts=True,
            unique_fields=["group_id"],
            update_fields=["name"],
        )
        self.groups_changed += len(changed)
        self._held_group_names.update(changed)
        self._group_pk.update(
            Group.objects.filter(group_id__in=list(changed)).values_list("group_id", "pk")
        )

    def _stored_digests(self, agent_ids: list[str]) -> dict[str, tuple[int, str]]:
        """(pk, sync digest) by id of the agents the read model holds among these.

        Plain SQL: asked once per page, where the ORM's query building cost more than the
        query itself."""
        quote = connection.ops.quote_name
        stored: dict[str, tuple[int, str]] = {}
        with connection.cursor() as cursor:
            for part in _chunks(agent_ids, DELETE_CHUNK_SIZE):
                cursor.execute(
                    f"SELECT {quote('agent_id')}, {quote('id')}, {quote('sync_digest')} "  # noqa: S608 - names from our own model
                    f"FROM {quote(Agent._meta.db_table)} "
                    f"WHERE {quote('agent_id')} IN ({', '.join(['%s'] * len(part))})",
                    list(part),
                )
                for agent_id, pk, digest in cursor.fetchall():
                    stored[agent_id] = (pk, digest)
        return stored

    def _held(self, agent_ids: list[str]) -> dict[str, tuple[int, HeldAgent]]:
        """What the read model holds of these agents, in full, by id."""
        columns: dict[str, tuple[int, tuple]] = {}
        for part in _chunks(agent_ids, DELETE_CHUNK_SIZE):
            for row in Agent.objects.filter(agent_id__in=part).values_list(
                "agent_id", "pk", *AGENT_FIELDS
            ):
                columns[row[0]] = (row[1], tuple(row[2:]))
        pks = [pk for pk, _ in columns.values()]
        windows: dict[int, list[tuple[int, int, int]]] = {}
        links: dict[int, set[str]] = {}
        for part in _chunks(pks, DELETE_CHUNK_SIZE):
            for agent_pk, mask, start, end in (
                WorkingWindow.objects.filter(agent_id__in=part)
                .order_by("agent_id", "position", "id")
                .values_list("agent_id", "weekday_mask", "start_minute", "end_minute")
            ):
                windows.setdefault(agent_pk, []).append((mask, start, end))
            for agent_pk, group_id in Agent.groups.through.objects.filter(
                agent_id__in=part
            ).values_list("agent_id", "group__group_id"):
                links.setdefault(agent_pk, set()).add(group_id)
        return {
            agent_id: (
                pk,
                HeldAgent(
                    values=values,
                    windows=tuple(windows.get(pk, ())),
                    group_ids=frozenset(links.get(pk, ())),
                ),
            )
            for agent_id, (pk, values) in columns.items()
        }

    def _write_digests(self, rows: list[tuple[str, int]]) -> None:
        quote = connection.ops.quote_name
        _execute_many(
            f"UPDATE {quote(Agent._meta.db_table)} SET {quote('sync_digest')} = %s "  # noqa: S608
            f"WHERE {quote('id')} = %s",
            rows,
        )

    def _write_relations(self, relations: list[tuple[str, HeldAgent, int | None]]) -> None:
        if not relations:
            return
        links = Agent.groups.through.objects
        replaced = [pk for _, _, pk in relations if pk is not None]
        for part in _chunks(replaced, DELETE_CHUNK_SIZE):
            WorkingWindow.objects.filter(agent_id__in=part).delete()
            links.filter(agent_id__in=part).delete()
        new_ids = [agent_id for agent_id, _, pk in relations if pk is None]
        new_pks = {agent_id: pk for agent_id, (pk, _) in self._stored_digests(new_ids).items()}
        window_rows: list[tuple[int, ...]] = []
        link_rows: list[tuple[int, ...]] = []
        for agent_id, state, pk in relations:
            agent_pk = pk if pk is not None else new_pks[agent_id]
            window_rows.extend(
                (agent_pk, mask, start, end, position)
                for position, (mask, start, end) in enumerate(state.windows)
            )
            link_rows.extend((agent_pk, self._group_pk[gid]) for gid in state.group_ids)
        _insert_rows(
            WorkingWindow._meta.db_table,
            ("agent_id", "weekday_mask", "start_minute", "end_minute", "position"),
            window_rows,
        )
        _insert_rows(links.model._meta.db_table, ("agent_id", "group_id"), link_rows)


_FIELD_INDEX = {name: index for index, name in enumerate(AGENT_FIELDS)}
# The AGENT_FIELDS a change-history snapshot is made of (services.agent_changes.agent_snapshot).
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


@transaction.atomic
def read_model_write(pages: AgentPages, *, now: datetime) -> SyncChanges:
    """Write every page as it arrives, in one transaction: readers see the old copy or the
    new one, and a page that cannot be fetched rolls everything back."""
    # One sync writes at a time: two that both replaced an agent's windows would leave both
    # copies. Taken before reading the table, so the diff is against the truth.
    lock_until_commit("agent-sync")
    writer = ReadModelWriter(now=now)
    pages.unchanged = writer.unchanged_among
    for page in pages:
        writer.note_unchanged(page.unchanged_ids)
        writer.apply_page(page.agents)
    # An agent that could not be read this time is not deleted for it; when one came without
    # an id, any agent missing from the listing might be it, so nobody is.
    return writer.finish(
        complete=pages.complete and not pages.skipped_without_id,
        keep_ids=pages.listed_ids | pages.unreadable_ids,
    )


@transaction.atomic
def read_model_write_listing(
    listing: AgentListing, *, now: datetime, record_changes: bool = True
) -> SyncChanges:
    """Write a listing already in memory (tests, small accounts, benchmarks) as one page;
    `record_changes=False`: without the change history (see `ReadModelWriter`)."""
    lock_until_commit("agent-sync")
    writer = ReadModelWriter(now=now, record_changes=record_changes)
    writer.apply_page(listing.agents)
    keep = {r.agent_id for r in listing.agents} | {s.agent_id for s in listing.skipped}
    return writer.finish(complete=listing.complete, keep_ids=keep)
