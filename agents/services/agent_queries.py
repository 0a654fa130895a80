"""The agent directory's use-cases: filter, sort, count, export, and one agent's detail.

Everything reads the local read model (see `services.read_model_sync`); nothing here calls
DeepCall or reads a query string. Callers pass validated values: `AgentFilters` (built by the
web layer's FilterSet) and a sort key from `SORT_KEYS`. The directory view puts the listing in
order with `agent_directory_order`, pages it and reads the page with `agent_page_rows`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from agents import working_hours
from agents.models import Agent, CadResult, CadState, DeletedAgent, Group, WorkingWindow
from agents.services.cad_ledger import cad_ledger_version, cad_states, cad_states_listed
from agents.services.read_model_cache import cached_per_version
from agents.services.team_scopes import agents_in_scope
from agents.team_scope import active_team_scope

DEFAULT_SORT = "id"
# The sortable columns: the sort key -> the ordering, ascending. Each ends with the id, so
# pages are stable.
SORT_ORDERINGS: dict[str, tuple] = {
    "id": (F("agent_id_sort"), F("agent_id")),
    # Matches the (lower(name), agent_id_sort) index.
    "name": (Lower("name"), F("agent_id_sort")),
    "email": (F("email"), F("agent_id_sort")),
    "phone": (F("phone"), F("agent_id_sort")),
    "destination": (F("dest_type"), F("dest_value"), F("agent_id_sort")),
    "groups": (F("sort_group_name"), F("agent_id_sort")),
    "hours": (F("sort_start_minute"), F("agent_id_sort")),
    "status": (F("is_active"), F("agent_id_sort")),
    "role": (F("role_name"), F("agent_id_sort")),
    "on_shift": (F("on_shift_now"), F("agent_id_sort")),
}
SORT_KEYS = tuple(SORT_ORDERINGS)
# The columns the table shows; address, parent path, DIDs and search text stay in the DB.
LIST_FIELDS = (
    "agent_id",
    "agent_id_sort",
    "name",
    "email",
    "phone",
    "dest_type",
    "dest_value",
    "role_name",
    "is_active",
    "pending_deletion",
)
# Rows fetched per round trip while streaming the CSV; each chunk prefetches its relations.
EXPORT_CHUNK_SIZE = 2000
# Characters that make a spreadsheet read a cell as a formula (CSV injection), with the
# full-width forms some spreadsheets (and East Asian input methods) take for them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
EXPORT_COLUMNS = (
    "agent_id",
    "name",
    "email",
    "phone",
    "address",
    "dest_type",
    "dest_value",
    "groups",
    "working_hours",
    "status",
    "role",
    "on_shift_now",
    "created_at",
    "pending_deletion",
    "cad_as_set_here",
    "cad_set_at",
)
# What the export reads of each agent.
EXPORT_FIELDS = (
    "pk",
    "agent_id",
    "name",
    "email",
    "phone",
    "address",
    "dest_type",
    "dest_value",
    "is_active",
    "role_name",
    "created_at",
    "pending_deletion",
)
# The CAD history on the detail panel: the newest results; older ones are on the job pages.
CAD_HISTORY_LIMIT = 50


# --- filtering ---------------------------------------------------------------------------------

# `AgentFilters.cad`: the ledger's state, as set here ("unknown": never set here).
CAD_ON, CAD_OFF, CAD_UNKNOWN = "on", "off", "unknown"


@dataclass(frozen=True, slots=True)
class AgentFilters:
    """Which agents a list shows; the defaults select every agent.

    Built from a query string by the web layer (`agents.liststate`), which drops invalid values.
    A new filter is a field here, a clause in `agents_matching` and a field of the FilterSet.
    """

    text: str = ""  # every word must appear in the name, email, phone or id
    group_pks: tuple[int, ...] = ()  # in any of these groups (Group primary keys)
    active: bool | None = None
    dest_type: str = ""
    role: str = ""
    weekday: int | None = None  # has a window starting that day (0 = Monday)
    on_shift: bool = False  # on shift at the moment of the query
    cad: str = ""  # CAD_ON, CAD_OFF or CAD_UNKNOWN: the state as set here (the ledger)
    pending_deletion: bool = False  # only agents DeepCall lists as preDeleted

    @property
    def is_empty(self) -> bool:
        return self == AgentFilters()


def agents_matching(
    filters: AgentFilters, *, now: datetime | None = None, agents: QuerySet[Agent] | None = None
) -> QuerySet[Agent]:
    """The agents (of `agents`, by default all) that `filters` selects within the team scope in
    force (`agents.team_scope`), unordered."""
    queryset = agents_in_scope(agents, within_groups=filters.group_pks)
    for term in filters.text.lower().split():
        queryset = queryset.filter(search_text__contains=term)  # search_text is lower case
    if filters.group_pks:
        links = Agent.groups.through.objects.filter(
            agent_id=OuterRef("pk"), group_id__in=filters.group_pks
        )
        # EXISTS, not a join: an agent in two of the chosen groups is still one row.
        queryset = queryset.filter(Exists(links))
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    if filters.dest_type:
        queryset = queryset.filter(dest_type=filters.dest_type)
    if filters.role:
        queryset = queryset.filter(role_name=filters.role)
    if filters.weekday is not None:
        queryset = queryset.filter(working_hours.works_on_day_q(filters.weekday))
    if filters.on_shift:
        queryset = queryset.filter(working_hours.agent_on_shift_q(now or timezone.now()))
    if filters.cad in (CAD_ON, CAD_OFF):
        known = CadState.objects.filter(state=filters.cad).values("agent_id")
        queryset = queryset.filter(agent_id__in=known)
    elif filters.cad == CAD_UNKNOWN:
        queryset = queryset.exclude(agent_id__in=CadState.objects.values("agent_id"))
    if filters.pending_deletion:
        queryset = queryset.filter(pending_deletion=True)
    return queryset


def duplicated_group_names() -> frozenset[str]:
    """Names two or more groups share: those are shown with their id ("Test_Group (#13)")."""
    return cached_per_version(
        "duplicated-group-names",
        lambda: frozenset(
            Group.objects.values("name")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values_list("name", flat=True)
        ),
    )


def agent_total_count() -> int:
    """How many agents the copy holds in the team scope (the "of N agents" beside a filtered
    count)."""
    return cached_per_version("agent-count", lambda: agents_in_scope().count())


def agent_matching_count(filters: AgentFilters, *, now: datetime | None = None) -> int:
    """How many agents `filters` selects: counted once per sync for each filter, and once a
    minute with "on shift now", whose answer follows the clock."""
    if filters.is_empty:
        return agent_total_count()
    now = now or timezone.now()
    minute = working_hours.local_weekday_minute(now) if filters.on_shift else None
    # The ledger moves with every CAD job, not with the syncs the cache follows.
    ledger = cad_ledger_version() if filters.cad else None
    return cached_per_version(
        "matching-count",
        lambda: agents_matching(filters, now=now).count(),
        filters,
        minute,
        ledger,
        free_text=filters.text,
    )


def distinct_agent_values(field: str) -> tuple[str, ...]:
    """The non-empty values of an agent column (filter choices), once per sync."""
    return cached_per_version(
        "distinct",
        lambda: tuple(
            agents_in_scope()
            .exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()
        ),
        field,
    )


def group_label(group) -> str:
    """A group with its id, for lists where names repeat: "Sales (#3)"."""
    return f"{group.name} (#{group.group_id})"


def group_display_name(group, duplicated: frozenset[str]) -> str:
    return group_label(group) if group.name in duplicated else group.name


# --- the page ----------------------------------------------------------------------------------


@dataclass
class DirectoryListing:
    """The agents a directory view lists, for the web layer's table to sort and page."""

    filters: AgentFilters
    total_count: int  # every agent in the read model
    matching_count: int  # cached per read-model version: the table's paginator is told it
    duplicated_names: frozenset[str]
    now: datetime  # the instant "on shift now" (filter, sort and column) is judged at

    @cached_property
    def agents(self) -> QuerySet[Agent]:
        """Unordered; only the columns the table shows (`LIST_FIELDS`)."""
        return agents_matching(self.filters, now=self.now).only(*LIST_FIELDS)


def _ordering(sort: str, descending: bool) -> list:
    # Every sort value is NOT NULL, so a plain ASC/DESC matches the indexes (an explicit
    # NULLS FIRST/LAST would make PostgreSQL sort every agent instead of reading an index).
    ordering = SORT_ORDERINGS[sort]
    if descending:
        return [expr.desc() for expr in ordering]
    return [expr.asc() for expr in ordering]


def agents_sorted(
    agents: QuerySet[Agent], *, sort: str, descending: bool = False, now: datetime
) -> QuerySet[Agent]:
    """`agents` in the order of a sort key of `SORT_KEYS`."""
    if sort == "on_shift":
        on_duty = WorkingWindow.objects.filter(agent_id=OuterRef("pk")).filter(
            working_hours.window_on_duty_q(*working_hours.local_weekday_minute(now))
        )
        agents = agents.annotate(on_shift_now=Exists(on_duty))
    return agents.order_by(*_ordering(sort, descending))


def agent_directory_order(
    listing: DirectoryListing, *, sort: str, descending: bool = False
) -> QuerySet[Agent] | Sequence[int]:
    """What the directory pages through: the listing's agents in the order of `sort`
    (`agent_page_rows` reads a page of it).

    Within a team scope, their primary keys in that order, worked out once per read-model
    version for these filters, as their count is: a page of a sorted queryset walks past every
    agent before it, out of the scope too, so with a sixth of the account in scope a deep page
    walked six times as far as the whole account's (README, Performance). Not for a text
    search, where every new term would make a list of its own.
    """
    filters = listing.filters

    def ordered() -> QuerySet[Agent]:
        return agents_sorted(listing.agents, sort=sort, descending=descending, now=listing.now)

    if active_team_scope().is_whole_account or filters.text:
        return ordered()
    by_clock = filters.on_shift or sort == "on_shift"
    minute = working_hours.local_weekday_minute(listing.now) if by_clock else None
    # The ledger moves with every CAD job, not with the syncs the cache follows.
    ledger = cad_ledger_version() if filters.cad else None
    return cached_per_version(
        "scoped-order",
        lambda: array("q", ordered().values_list("pk", flat=True)),
        filters,
        sort,
        descending,
        minute,
        ledger,
    )


def agent_directory_listing(
    *, filters: AgentFilters, now: datetime | None = None
) -> DirectoryListing:
    """The agents `filters` selects (built when first asked for, and read only a page at a
    time) and their counts. The caller puts them in order with `agent_directory_order`, slices out a
    page and reads it with `agent_page_rows`."""
    now = now or timezone.now()
    matching = agent_matching_count(filters, now=now)
    return DirectoryListing(
        filters=filters,
        total_count=matching if filters.is_empty else agent_total_count(),
        matching_count=matching,
        duplicated_names=duplicated_group_names(),
        now=now,
    )


@dataclass(frozen=True, slots=True)
class ListedGroup:
    """A group as the directory shows it (`group_label` reads these two fields)."""

    group_id: str
    name: str


def agent_page_rows(agents: QuerySet[Agent] | Sequence[int]) -> list[Agent]:
    """A page of agents (a slice of `agent_directory_order`: agents, or their primary keys in
    order), read once, each with its `listed_groups`, `listed_windows` and `listed_cad_state`
    (the CAD ledger's, or None: not set here)."""
    if isinstance(agents, QuerySet):
        rows = list(agents)
    else:
        by_pk = Agent.objects.only(*LIST_FIELDS).in_bulk(list(agents))
        rows = [by_pk[pk] for pk in agents if pk in by_pk]
    attach_groups_and_hours(rows)
    # A query of its own rather than a join in the page's: a join is made for every row an
    # OFFSET skips too (page 2,000 of 100,000 agents took 3.5 ms more).
    cad_states = cad_states_listed([agent.agent_id for agent in rows])
    for agent in rows:
        agent.listed_cad_state = cad_states.get(agent.agent_id)
    return rows


def attach_groups_and_hours(agents: list[Agent]) -> None:
    """Give each agent of a page `listed_groups` and `listed_windows`: one query each, read as
    plain values (prefetching model instances was a sixth of a directory request's time)."""
    pks = [agent.pk for agent in agents]
    groups = groups_by_agent(pks)
    windows = windows_by_agent(pks)
    for agent in agents:
        agent.listed_groups = groups.get(agent.pk, ())
        agent.listed_windows = windows.get(agent.pk, ())


def groups_by_agent(agent_pks: list[int]) -> dict[int, tuple[ListedGroup, ...]]:
    """The given agents' groups, by name, in one query and without model instances."""
    groups: dict[int, list[ListedGroup]] = {}
    links = (
        Agent.groups.through.objects.filter(agent_id__in=agent_pks)
        .order_by("group__name", "group__group_id")
        .values_list("agent_id", "group__group_id", "group__name")
    )
    for agent_pk, group_id, name in links:
        groups.setdefault(agent_pk, []).append(ListedGroup(group_id, name))
    return {pk: tuple(agent_groups) for pk, agent_groups in groups.items()}


def windows_by_agent(agent_pks: list[int]) -> dict[int, tuple[working_hours.Window, ...]]:
    """The given agents' windows in their order, in one query and without model instances."""
    windows: dict[int, list[working_hours.Window]] = {}
    rows = (
        WorkingWindow.objects.filter(agent_id__in=agent_pks)
        .order_by("agent_id", "position", "pk")
        .values_list("agent_id", "weekday_mask", "start_minute", "end_minute")
    )
    for agent_pk, mask, start, end in rows:
        windows.setdefault(agent_pk, []).append(working_hours.Window(mask, start, end))
    return {pk: tuple(agent_windows) for pk, agent_windows in windows.items()}


# --- export ------------------------------------------------------------------------------------


def neutralise_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or CR (or a
    full-width = + - @) gets a '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def agent_export_rows(
    *, filters: AgentFilters, sort: str = DEFAULT_SORT, descending: bool = False
) -> Iterator[list[str]]:
    """The CSV rows (header first) of every agent `filters` selects, streamed.

    Sorted as the directory is; no secrets (the read model holds none); each cell neutralised
    against formula injection.
    """
    now = timezone.now()
    duplicated = duplicated_group_names()
    rows = agents_sorted(
        agents_matching(filters, now=now), sort=sort, descending=descending, now=now
    ).values_list(*EXPORT_FIELDS, named=True)
    weekday, minute = working_hours.local_weekday_minute(now)
    yield list(EXPORT_COLUMNS)
    # Plain values, with each chunk's groups and windows in one query each: prefetching model
    # instances took four fifths of an export's time.
    for chunk in batched(rows.iterator(chunk_size=EXPORT_CHUNK_SIZE), EXPORT_CHUNK_SIZE):
        pks = [agent.pk for agent in chunk]
        groups, windows = groups_by_agent(pks), windows_by_agent(pks)
        ledger = cad_states(agent.agent_id for agent in chunk)
        for agent in chunk:
            cad = ledger.get(agent.agent_id)
            agent_windows = windows.get(agent.pk, ())
            on_shift = any(working_hours.window_covers(w, weekday, minute) for w in agent_windows)
            row = [
                agent.agent_id,
                agent.name,
                agent.email,
                agent.phone,
                agent.address,
                agent.dest_type,
                agent.dest_value,
                "; ".join(group_display_name(g, duplicated) for g in groups.get(agent.pk, ())),
                working_hours.schedule_humanise(agent_windows),
                "active" if agent.is_active else "inactive",
                agent.role_name,
                "yes" if on_shift else "no",
                agent.created_at.isoformat() if agent.created_at else "",
                "yes" if agent.pending_deletion else "no",
                # The ledger: what this dashboard last set ("" when it never did), not DeepCall's.
                cad.state if cad else "",
                cad.set_at.isoformat() if cad else "",
            ]
            yield [neutralise_cell(cell) for cell in row]


# --- one agent ---------------------------------------------------------------------------------


@dataclass
class AgentDetail:
    agent: Agent
    groups: list[tuple[Group, str]]  # the group and how to show it
    windows: list[WorkingWindow]
    week: working_hours.WeekSegments
    hours_text: str
    on_shift: bool
    cad_results: list[CadResult]
    cad_results_total: int
    cad_state: CadState | None  # the ledger: as last set here, or None (not set here)

    @property
    def week_rows(self) -> list[tuple[str, str, tuple[working_hours.Segment, ...]]]:
        """(short day name, full day name, that day's bars), Monday first."""
        return list(
            zip(
                working_hours.WEEKDAY_SHORT_NAMES,
                working_hours.WEEKDAY_NAMES,
                self.week.days,
                strict=True,
            )
        )


def agent_detail(*, agent_id: str) -> AgentDetail | None:
    """Everything the dashboard knows about one agent, or None when it is not in the directory
    or not in the team scope (the two are not told apart)."""
    agent = (
        agents_in_scope(Agent.objects.filter(agent_id=agent_id))
        .prefetch_related("groups", "windows")
        .first()
    )
    if agent is None:
        return None
    duplicated = duplicated_group_names()
    windows = list(agent.windows.all())
    results = CadResult.objects.filter(agent_id=agent_id).select_related("job")
    cad_state = cad_states([agent_id]).get(agent_id)
    return AgentDetail(
        agent=agent,
        groups=[(g, group_display_name(g, duplicated)) for g in agent.groups.all()],
        windows=windows,
        week=working_hours.windows_week_segments(windows),
        hours_text=working_hours.windows_humanise(windows),
        on_shift=working_hours.agent_is_on_shift(windows, timezone.now()),
        cad_results=list(results.order_by("-recorded_at", "-id")[:CAD_HISTORY_LIMIT]),
        cad_results_total=results.count(),
        cad_state=cad_state,
    )


def agent_deleted_upstream_at(*, agent_id: str) -> datetime | None:
    """When a sync last saw this agent listed as deleted in DeepCall, or None if it never did
    (or the user has a team scope: a deleted agent's groups are not known)."""
    if not active_team_scope().is_whole_account:
        return None
    return DeletedAgent.objects.filter(agent_id=agent_id).values_list("seen_at", flat=True).first()
