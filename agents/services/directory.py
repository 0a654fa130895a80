"""The agent directory's use-cases: filter, sort, page, describe, export, and one agent's detail.

Everything reads the local read model (see `services.sync`); nothing here calls DeepCall. The
query string is the state: `params` is always a QueryDict such as `request.GET`, parsed by
`filters.AgentFilter` and `forms.DirectoryDisplayForm`, so a bad value is dropped with a
notice instead of raising.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    QuerySet,
)
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode

from agents import schedules
from agents.filters import (
    DAY_VAR,
    DEST_TYPE_VAR,
    FILTER_VARS,
    GROUP_VAR,
    ON_SHIFT_VAR,
    PAGE_VAR,
    PER_PAGE_VAR,
    ROLE_VAR,
    SEARCH_VAR,
    SORT_VAR,
    STATUS_ACTIVE,
    STATUS_VAR,
    AgentFilter,
    cached_per_sync,
    group_label,
)
from agents.forms import DEFAULT_PER_PAGE, DirectoryDisplayForm
from agents.models import Agent, CadResult, CadState, Group, WorkingWindow

DEFAULT_SORT = "id"
# The sortable columns: the query-string value -> the ordering, ascending. Anything else in
# `sort` falls back to DEFAULT_SORT. Each ends with the id, so pages are stable.
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
SORT_LABELS = {"id": "ID", "hours": "working hours", "on_shift": "on shift"}
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
)
# Rows fetched per round trip while streaming the CSV; each chunk prefetches its relations.
EXPORT_CHUNK_SIZE = 2000
# Characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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
)
# The CAD history on the detail panel: the newest results; older ones are on the job pages.
CAD_HISTORY_LIMIT = 50


# --- filtering ---------------------------------------------------------------------------------


def agent_filter_set(params: QueryDict) -> AgentFilter:
    """The bound FilterSet for `params` (invalid values are left out of its queryset)."""
    return AgentFilter(params, queryset=Agent.objects.all())


def agent_filter_queryset(params: QueryDict) -> QuerySet[Agent]:
    """The agents the directory's filters in `params` select; invalid values are ignored.

    Only the filter keys (`q`, `group`, `status`, `dest_type`, `role`, `day`, `on_shift`) are
    read; sort and page keys are not. Used by bulk CAD ("select all matching") and schedules.
    """
    return agent_filter_set(params).qs


def agent_filter_describe(params: QueryDict) -> str:
    """The filters in words, e.g. 'group Sales (#3), active, text “ann”'; "all agents" if none.

    Invalid values are left out, as they are when filtering.
    """
    return _describe(agent_filter_set(params))


def _describe(filterset: AgentFilter) -> str:
    filterset.is_valid()
    data = getattr(filterset.form, "cleaned_data", {})
    parts: list[str] = []
    groups = data.get(GROUP_VAR)
    if groups:
        word = "group" if len(groups) == 1 else "groups"
        parts.append(f"{word} {', '.join(group_label(g) for g in groups)}")
    if data.get(STATUS_VAR):
        parts.append("active" if data[STATUS_VAR] == STATUS_ACTIVE else "inactive")
    if data.get(DEST_TYPE_VAR):
        parts.append(f"destination {data[DEST_TYPE_VAR]}")
    if data.get(ROLE_VAR):
        parts.append(f"role {data[ROLE_VAR]}")
    if data.get(DAY_VAR) not in (None, ""):
        parts.append(f"works on {schedules.WEEKDAY_NAMES[int(data[DAY_VAR])]}")
    if data.get(ON_SHIFT_VAR):
        parts.append("on shift now")
    if data.get(SEARCH_VAR):
        parts.append(f"text “{data[SEARCH_VAR]}”")
    return ", ".join(parts) if parts else "all agents"


def duplicated_group_names() -> frozenset[str]:
    """Names two or more groups share: those are shown with their id ("Test_Group (#13)")."""
    return cached_per_sync(
        "duplicated-group-names",
        lambda: frozenset(
            Group.objects.values("name")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values_list("name", flat=True)
        ),
    )


def agent_total_count() -> int:
    """How many agents the copy holds (the "of N agents" beside a filtered count)."""
    return cached_per_sync("agent-count", Agent.objects.count)


def _matching_count(queryset: QuerySet[Agent], state: QueryDict, now: datetime) -> int:
    """How many agents the filters in `state` select: counted once per sync for each filter,
    and once a minute with "on shift now", whose answer follows the clock."""
    filters = urlencode(sorted((k, v) for k in FILTER_VARS for v in state.getlist(k)))
    if state.get(ON_SHIFT_VAR):
        filters += "&at={}:{}".format(*schedules.local_weekday_minute(now))
    digest = hashlib.sha256(filters.encode()).hexdigest()
    return cached_per_sync(f"matching-count:{digest}", queryset.count)


class _CountedPaginator(Paginator):
    """A Paginator told its count rather than asking the database for it."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def group_display_name(group: Group, duplicated: frozenset[str]) -> str:
    return group_label(group) if group.name in duplicated else group.name


# --- the page ----------------------------------------------------------------------------------


def directory_query(params: QueryDict, **changes: object) -> str:
    """The query string for a directory link: `params` with `changes` (None removes a key).

    The one helper behind every sort, page, export and refresh link, so each keeps the other
    filters. Returns "?…", or "" when nothing is left.
    """
    query = params.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        elif isinstance(value, list | tuple):
            query.setlist(key, [str(v) for v in value])
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


@dataclass
class SortHeader:
    key: str
    url: str  # "?…" that sorts by this column (toggling the direction when it is current)
    direction: str  # "ascending", "descending" or "" (aria-sort)
    label: str  # what the link does, for screen readers


@dataclass
class DirectoryPage:
    filterset: AgentFilter
    page: Page
    agents: list[Agent]
    total_count: int  # every agent in the read model
    matching_count: int
    params: QueryDict  # the valid state, without `page`: the base of every link
    sort: str  # e.g. "name" or "-name"
    per_page: int
    notices: list[str]
    sort_headers: dict[str, SortHeader]
    duplicated_names: frozenset[str]
    now: datetime
    page_links: list[tuple[str, str, bool]] = field(default_factory=list)  # text, url, current

    @property
    def is_filtered(self) -> bool:
        return any(self.params.get(key) for key in FILTER_VARS)

    @property
    def description(self) -> str:
        return _describe(self.filterset)

    @property
    def previous_url(self) -> str:
        number = self.page.previous_page_number()
        return directory_query(self.params, **{PAGE_VAR: None if number == 1 else number})

    @property
    def next_url(self) -> str:
        return directory_query(self.params, **{PAGE_VAR: self.page.next_page_number()})

    @property
    def sort_caption(self) -> str:
        key = self.sort.removeprefix("-")
        direction = "descending" if self.sort.startswith("-") else "ascending"
        return f"sorted by {SORT_LABELS.get(key, key)}, {direction}"


def _field_label(filterset: AgentFilter, name: str) -> str:
    return str(filterset.form.fields[name].label or name)


def _valid_params(params: QueryDict, filterset: AgentFilter) -> QueryDict:
    """The filter keys of `params` that parsed, so links never repeat a rejected value."""
    valid = QueryDict(mutable=True)
    errors = filterset.form.errors
    for key in FILTER_VARS:
        if key in errors:
            continue
        values = [v for v in params.getlist(key) if v.strip()]
        if values:
            valid.setlist(key, values)
    return valid


def _ordering(sort: str) -> list:
    # Every sort value is NOT NULL, so a plain ASC/DESC matches the indexes (an explicit
    # NULLS FIRST/LAST would make PostgreSQL sort every agent instead of reading an index).
    ordering = SORT_ORDERINGS[sort.removeprefix("-")]
    if sort.startswith("-"):
        return [expr.desc() for expr in ordering]
    return [expr.asc() for expr in ordering]


def _annotate_for_sort(queryset: QuerySet[Agent], sort: str, now: datetime) -> QuerySet[Agent]:
    """Add the computed value a sort by on-shift needs (only then)."""
    key = sort.removeprefix("-")
    if key == "on_shift":
        on_duty = WorkingWindow.objects.filter(agent_id=OuterRef("pk")).filter(
            schedules.window_on_duty_q(*schedules.local_weekday_minute(now))
        )
        return queryset.annotate(on_shift_now=Exists(on_duty))
    return queryset


def _sort_headers(params: QueryDict, sort: str) -> dict[str, SortHeader]:
    headers = {}
    current_key, descending = sort.removeprefix("-"), sort.startswith("-")
    for key in SORT_ORDERINGS:
        if key == current_key:
            next_sort = key if descending else f"-{key}"
            direction = "descending" if descending else "ascending"
            label = "sort ascending" if descending else "sort descending"
        else:
            next_sort, direction, label = key, "", "sort ascending"
        headers[key] = SortHeader(
            key=key,
            url=directory_query(
                params, **{SORT_VAR: None if next_sort == DEFAULT_SORT else next_sort}
            ),
            direction=direction,
            label=label,
        )
    return headers


def _page_links(params: QueryDict, page: Page) -> list[tuple[str, str, bool]]:
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            links.append((str(number), "", False))
        else:
            url = directory_query(params, **{PAGE_VAR: None if number == 1 else number})
            links.append((str(number), url, number == page.number))
    return links


def agent_directory_page(params: QueryDict) -> DirectoryPage:
    """One page of the directory for the query string `params`, with its counts and notices.

    Invalid filter values are ignored, an unknown sort falls back to the id, a page size other
    than 25/50/100 to 25, and a page past the end to the last page; each (but the sort) adds a
    notice saying so.
    """
    now = timezone.now()
    notices: list[str] = []
    filterset = agent_filter_set(params)
    for name, errors in filterset.form.errors.items():
        shown = ", ".join(f"“{v}”" for v in params.getlist(name)[:3])
        notices.append(
            f"Ignored {_field_label(filterset, name).lower()} {shown}: {' '.join(errors)}"
        )
    display = DirectoryDisplayForm(params)
    display.is_valid()
    cleaned = display.cleaned_data
    if PER_PAGE_VAR in display.errors:
        notices.append(f"Pages can hold 25, 50 or 100 rows; showing {DEFAULT_PER_PAGE}.")
    if PAGE_VAR in display.errors:
        notices.append("The page number was not a positive whole number; showing page 1.")
    per_page = cleaned.get(PER_PAGE_VAR) or DEFAULT_PER_PAGE
    sort = cleaned.get(SORT_VAR) or DEFAULT_SORT
    if sort.removeprefix("-") not in SORT_ORDERINGS:
        sort = DEFAULT_SORT

    state = _valid_params(params, filterset)
    if sort != DEFAULT_SORT:
        state[SORT_VAR] = sort
    if per_page != DEFAULT_PER_PAGE:
        state[PER_PAGE_VAR] = str(per_page)

    queryset = _annotate_for_sort(filterset.qs, sort, now).order_by(*_ordering(sort))
    filtered = any(state.get(key) for key in FILTER_VARS)
    matching = _matching_count(filterset.qs, state, now) if filtered else agent_total_count()
    paginator = _CountedPaginator(queryset, per_page, count=matching)
    page_number = cleaned.get(PAGE_VAR) or 1
    if page_number > paginator.num_pages:
        if matching:
            notices.append(
                f"There is no page {page_number}; showing the last page, {paginator.num_pages}."
            )
        page_number = paginator.num_pages
    page = paginator.page(page_number)
    agents = list(page.object_list.only(*LIST_FIELDS))
    _attach_groups_and_hours(agents)
    total = agent_total_count() if filtered else matching
    return DirectoryPage(
        filterset=filterset,
        page=page,
        agents=agents,
        total_count=total,
        matching_count=matching,
        params=state,
        sort=sort,
        per_page=per_page,
        notices=notices,
        sort_headers=_sort_headers(state, sort),
        duplicated_names=duplicated_group_names(),
        now=now,
        page_links=_page_links(state, page),
    )


@dataclass(frozen=True, slots=True)
class ListedGroup:
    """A group as the directory shows it (`group_label` reads these two fields)."""

    group_id: str
    name: str


def _attach_groups_and_hours(agents: list[Agent]) -> None:
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


def windows_by_agent(agent_pks: list[int]) -> dict[int, tuple[schedules.Window, ...]]:
    """The given agents' windows in their order, in one query and without model instances."""
    windows: dict[int, list[schedules.Window]] = {}
    rows = (
        WorkingWindow.objects.filter(agent_id__in=agent_pks)
        .order_by("agent_id", "position", "pk")
        .values_list("agent_id", "weekday_mask", "start_minute", "end_minute")
    )
    for agent_pk, mask, start, end in rows:
        windows.setdefault(agent_pk, []).append(schedules.Window(mask, start, end))
    return {pk: tuple(agent_windows) for pk, agent_windows in windows.items()}


# --- export ------------------------------------------------------------------------------------


def neutralise_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def agent_export_rows(params: QueryDict) -> Iterator[list[str]]:
    """The CSV rows (header first) of every agent the filters in `params` select, streamed.

    Sorted as the directory is; no secrets (the read model holds none); each cell neutralised
    against formula injection.
    """
    now = timezone.now()
    display = DirectoryDisplayForm(params)
    display.is_valid()
    sort = display.cleaned_data.get(SORT_VAR) or DEFAULT_SORT
    if sort.removeprefix("-") not in SORT_ORDERINGS:
        sort = DEFAULT_SORT
    duplicated = duplicated_group_names()
    rows = (
        _annotate_for_sort(agent_filter_queryset(params), sort, now)
        .order_by(*_ordering(sort))
        .values_list(*EXPORT_FIELDS, named=True)
    )
    weekday, minute = schedules.local_weekday_minute(now)
    yield list(EXPORT_COLUMNS)
    # Plain values, with each chunk's groups and windows in one query each: prefetching model
    # instances took four fifths of an export's time.
    for chunk in batched(rows.iterator(chunk_size=EXPORT_CHUNK_SIZE), EXPORT_CHUNK_SIZE):
        pks = [agent.pk for agent in chunk]
        groups, windows = groups_by_agent(pks), windows_by_agent(pks)
        for agent in chunk:
            agent_windows = windows.get(agent.pk, ())
            on_shift = any(schedules.window_covers(w, weekday, minute) for w in agent_windows)
            row = [
                agent.agent_id,
                agent.name,
                agent.email,
                agent.phone,
                agent.address,
                agent.dest_type,
                agent.dest_value,
                "; ".join(group_display_name(g, duplicated) for g in groups.get(agent.pk, ())),
                schedules.windows_humanise(agent_windows),
                "active" if agent.is_active else "inactive",
                agent.role_name,
                "yes" if on_shift else "no",
                agent.created_at.isoformat() if agent.created_at else "",
            ]
            yield [neutralise_cell(cell) for cell in row]


# --- one agent ---------------------------------------------------------------------------------


@dataclass
class AgentDetail:
    agent: Agent
    groups: list[tuple[Group, str]]  # the group and how to show it
    windows: list[WorkingWindow]
    week: schedules.WeekSegments
    hours_text: str
    on_shift: bool
    cad_results: list[CadResult]
    cad_results_total: int
    cad_state: CadState | None  # the ledger: as last set here, or None (not set here)
    cad_state_text: str

    @property
    def week_rows(self) -> list[tuple[str, str, tuple[schedules.Segment, ...]]]:
        """(short day name, full day name, that day's bars), Monday first."""
        return list(
            zip(schedules.WEEKDAY_SHORT_NAMES, schedules.WEEKDAY_NAMES, self.week.days, strict=True)
        )


def agent_detail(*, agent_id: str) -> AgentDetail | None:
    """Everything the dashboard knows about one agent, or None when it is not in the directory."""
    agent = Agent.objects.filter(agent_id=agent_id).prefetch_related("groups", "windows").first()
    if agent is None:
        return None
    duplicated = duplicated_group_names()
    windows = list(agent.windows.all())
    results = CadResult.objects.filter(agent_id=agent_id).select_related("job")
    from agents.services.cad import cad_state_label, cad_states

    cad_state = cad_states([agent_id]).get(agent_id)
    return AgentDetail(
        agent=agent,
        groups=[(g, group_display_name(g, duplicated)) for g in agent.groups.all()],
        windows=windows,
        week=schedules.windows_week_segments(windows),
        hours_text=schedules.windows_humanise(windows),
        on_shift=schedules.agent_is_on_shift(windows, timezone.now()),
        cad_results=list(results.order_by("-recorded_at", "-id")[:CAD_HISTORY_LIMIT]),
        cad_results_total=results.count(),
        cad_state=cad_state,
        cad_state_text=cad_state_label(cad_state),
    )
