"""Use-cases behind the schedules pages: the weekly timeline, the coverage heatmap, its CSV.

The arithmetic (what a window covers, how it reads) lives in `agents/working_hours.py`; this module
only fetches the read model efficiently and shapes the figures for templates and exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from agents import working_hours
from agents.models import Agent, WorkingWindow
from agents.services.agent_queries import AgentFilters, agents_matching, windows_by_agent
from agents.services.cad_ledger import cad_ledger_version
from agents.services.read_model_cache import cached_per_version
from agents.services.staffing_targets import WORST_SLOTS_SHOWN, TargetScope, shortfall

# Fifty rows of seven day-tracks stay readable on a laptop and render in a few milliseconds.
TIMELINE_PAGE_SIZE = 50
# What a timeline row shows of its agent; the rest of the row (JSON, dates) is not even read.
TIMELINE_FIELDS = ("agent_id", "agent_id_sort", "name", "is_active")
# The slot panel lists names; past this many the count says it all and the page stays light.
SLOT_AGENT_LIMIT = 200
# Heatmap shades: counts are bucketed relative to the busiest slot, 1 (few) to 4 (most).
HEATMAP_LEVELS = 4

# --- timeline --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineBar:
    continued: bool  # the after-midnight tail of a window that started the day before
    start_minute: int
    end_minute: int  # exclusive
    label: str  # the segment's full text, for screen readers and the tooltip

    def __reduce__(self):
        return working_hours.rebuilt_from_fields(self)


@dataclass(frozen=True, slots=True)
class TimelineDay:
    today: bool  # the account's current weekday, where the "now" line is drawn
    name: str
    bars: tuple[TimelineBar, ...]

    def __reduce__(self):
        return working_hours.rebuilt_from_fields(self)


def _week_drawing(
    windows: tuple[working_hours.Window, ...], today: int
) -> tuple[working_hours.WeekSegments, tuple[TimelineDay, ...]]:
    """One schedule's segments and bars for the timeline."""
    week = working_hours.windows_week_segments(windows)
    days = tuple(
        TimelineDay(
            today=day == today,
            name=working_hours.WEEKDAY_NAMES[day],
            bars=tuple(
                TimelineBar(
                    continued=s.continued,
                    start_minute=s.start_minute,
                    end_minute=s.end_minute,
                    label=s.label,
                )
                for s in segments
            ),
        )
        for day, segments in enumerate(week.days)
    )
    return week, days


@dataclass(frozen=True, slots=True)
class TimelineRow:
    agent: Agent
    week: working_hours.WeekSegments
    on_shift_now: bool
    days: tuple[TimelineDay, ...]  # Monday first


@dataclass(frozen=True, slots=True)
class Timeline:
    rows: list[TimelineRow]
    now: datetime  # in the account's time zone
    now_weekday: int
    now_minute: int

    @property
    def now_text(self) -> str:
        name = working_hours.WEEKDAY_NAMES[self.now_weekday]
        return f"{name} {working_hours.format_minute(self.now_minute)}"


def schedule_timeline(*, agents: Iterable[Agent], now: datetime) -> Timeline:
    """The weekly timeline of `agents` (a page of them, `TIMELINE_FIELDS` enough): each one's
    bars per weekday and whether on shift now.

    Only these agents have their windows fetched (one query), so the cost does not grow with
    the size of the account.
    """
    page_agents = list(agents)
    windows_of = windows_by_agent([agent.pk for agent in page_agents])
    weekday, minute = working_hours.local_weekday_minute(now)
    # Drawing the weeks is most of a timeline page's time, and shifts repeat across a call
    # centre: each schedule on the page is drawn once, and a page's drawings are kept (the
    # one cache) for every page, user and process that shows the same schedules that day.
    schedules = tuple(sorted({windows_of.get(agent.pk, ()) for agent in page_agents}))
    drawings = cached_per_version(
        "timeline-drawings",
        lambda: {windows: _week_drawing(windows, weekday) for windows in schedules},
        schedules,
        weekday,
    )
    rows = []
    for agent in page_agents:
        windows = windows_of.get(agent.pk, ())
        week, days = drawings[windows]
        rows.append(
            TimelineRow(
                agent=agent,
                week=week,
                on_shift_now=any(working_hours.window_covers(w, weekday, minute) for w in windows),
                days=days,
            )
        )
    return Timeline(
        rows=rows,
        now=now.astimezone(working_hours.account_zone()),
        now_weekday=weekday,
        now_minute=minute,
    )


# --- coverage --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverageCell:
    weekday: int
    minute: int  # the slot's first minute
    count: int
    level: int  # 0 = gap, 1..HEATMAP_LEVELS = relative load
    label: str  # "Tuesday 09:00–10:00: 12 agents on duty, target 15, 3 short"
    target: int | None = None  # the staffing target, None where none is set
    shortfall: int | None = None  # max(0, target − count), None without a target

    @property
    def is_gap(self) -> bool:
        return self.count == 0

    @property
    def is_short(self) -> bool:
        return bool(self.shortfall)


@dataclass(frozen=True, slots=True)
class CoverageRow:
    weekday: int
    name: str
    cells: list[CoverageCell]


@dataclass(frozen=True, slots=True)
class Coverage:
    slot_minutes: int
    slot_starts: list[int]
    rows: list[CoverageRow]
    max_count: int
    active_agents: int  # how many filtered, active agents the figures are drawn from
    gap_count: int
    has_targets: bool = False  # any slot has a staffing target
    short_count: int = 0  # slots under their target
    agent_minutes_short: int = 0  # Σ shortfall × slot length, over the week

    @property
    def agent_hours_short(self) -> str:
        """The week's shortfall in agent-hours, e.g. "12" or "12.5"."""
        hours = self.agent_minutes_short / 60
        return f"{hours:g}" if hours == int(hours) else f"{hours:.1f}"

    @property
    def worst_slots(self) -> list[CoverageCell]:
        """The slots furthest under target, worst first (earliest first among equals)."""
        short = [cell for row in self.rows for cell in row.cells if cell.is_short]
        short.sort(key=lambda c: (-c.shortfall, c.weekday, c.minute))
        return short[:WORST_SLOTS_SHOWN]

    @property
    def slot_headers(self) -> list[tuple[str, str]]:
        """(full time, short text) per column: "09:00" and "09", or "09:30" and ":30"."""
        return [
            (working_hours.format_minute(m), f"{m // 60:02d}" if m % 60 == 0 else f":{m % 60:02d}")
            for m in self.slot_starts
        ]

    @property
    def legend(self) -> list[tuple[int, str]]:
        """(level, text) for each shade actually used by this heatmap's scale."""
        bands = []
        for level in range(1, HEATMAP_LEVELS + 1):
            low, high = _level_bounds(level, self.max_count)
            if low > high:
                continue
            bands.append((level, f"{low}" if low == high else f"{low}–{high}"))
        return bands


def heatmap_level(count: int, max_count: int) -> int:
    """The heatmap shade of a slot with `count` agents on duty, when the busiest has
    `max_count`: 0 for none, else 1 to HEATMAP_LEVELS in equal steps of the busiest."""
    if count <= 0 or max_count <= 0:
        return 0
    return max(1, -(-count * HEATMAP_LEVELS // max_count))  # ceil, 1..HEATMAP_LEVELS


def _level_bounds(level: int, max_count: int) -> tuple[int, int]:
    # The counts c >= 1 with (level - 1) * max < c * LEVELS <= level * max, the inverse of
    # `heatmap_level`'s ceiling; (low, high) with low > high when no count falls in the level.
    low = (level - 1) * max_count // HEATMAP_LEVELS + 1
    return low, level * max_count // HEATMAP_LEVELS


def _cell_label(
    weekday: int, minute: int, slot_minutes: int, count: int, target: int | None = None
) -> str:
    slot = working_hours.slot_label(weekday, minute, slot_minutes)
    if count == 0:
        text = f"{slot}: no agents on duty (gap)"
    else:
        text = f"{slot}: {count} agent{'s' if count != 1 else ''} on duty"
    if target is None:
        return text
    short = shortfall(target, count)
    return f"{text}, target {target}, " + (f"{short} short" if short else "target met")


def coverage_window_rows(agents: QuerySet[Agent]) -> QuerySet:
    """(agent pk, weekday_mask, start_minute, end_minute) of the given agents' active members.

    One query; the agents' filter runs as a subquery in the database.
    """
    active = agents.filter(is_active=True).order_by().values("pk")
    return (
        WorkingWindow.objects.filter(agent__in=active)
        .order_by()
        .values_list("agent_id", "weekday_mask", "start_minute", "end_minute")
    )


def coverage_for(
    agents: QuerySet[Agent],
    slot_minutes: int = working_hours.DEFAULT_SLOT_MINUTES,
    *,
    targets: Mapping[tuple[int, int], int] | None = None,
) -> Coverage:
    """The heatmap's figures: active agents on duty at the first minute of each slot of the week.

    Inactive agents never count. One query fetches the windows of the filtered active agents;
    `working_hours.coverage_grid` does the arithmetic in O(windows + minutes of the week).
    `targets` ((weekday, slot start) → agents needed, as
    `services.staffing_targets.staffing_targets` gives them) adds each slot's target and shortfall.
    """
    grid = working_hours.coverage_grid(coverage_window_rows(agents), slot_minutes)
    starts = working_hours.slot_starts(slot_minutes)
    targets = targets or {}
    max_count = max((max(day) for day in grid), default=0)
    rows = []
    gaps = short_count = minutes_short = 0
    for weekday, counts in enumerate(grid):
        cells = []
        for minute, count in zip(starts, counts, strict=True):
            gaps += count == 0
            target = targets.get((weekday, minute))
            short = shortfall(target, count)
            if short:
                short_count += 1
                minutes_short += short * slot_minutes
            cells.append(
                CoverageCell(
                    weekday=weekday,
                    minute=minute,
                    count=count,
                    level=heatmap_level(count, max_count),
                    label=_cell_label(weekday, minute, slot_minutes, count, target),
                    target=target,
                    shortfall=short,
                )
            )
        rows.append(CoverageRow(weekday, working_hours.WEEKDAY_NAMES[weekday], cells))
    return Coverage(
        slot_minutes=slot_minutes,
        slot_starts=starts,
        rows=rows,
        max_count=max_count,
        active_agents=agents.filter(is_active=True).count(),
        gap_count=gaps,
        has_targets=bool(targets),
        short_count=short_count,
        agent_minutes_short=minutes_short,
    )


def coverage_key(
    *,
    filters: AgentFilters,
    slot_minutes: int,
    target_scope: TargetScope,
    now: datetime | None = None,
) -> tuple:
    """What a filtered heatmap's figures depend on besides the read model: the filters and slot
    size, the account's time zone, the targets (their version), the CAD ledger (with a CAD
    filter) and the minute (with "on shift now"). A cache key for the figures and their markup."""
    return (
        filters,
        slot_minutes,
        working_hours.account_zone().key,
        working_hours.local_weekday_minute(now or timezone.now()) if filters.on_shift else None,
        cad_ledger_version() if filters.cad else None,
        target_scope.group_id,
        target_scope.version,
    )


def agent_coverage(
    *,
    filters: AgentFilters,
    slot_minutes: int,
    target_scope: TargetScope,
    now: datetime | None = None,
) -> Coverage:
    """`coverage_for` the agents `filters` selects, against `target_scope`'s targets: worked out
    once per read-model version and `coverage_key` (the heatmap of 10,000 agents would
    otherwise be most of a schedules page's time)."""
    now = now or timezone.now()
    return cached_per_version(
        "coverage",
        lambda: coverage_for(
            agents_matching(filters, now=now), slot_minutes, targets=target_scope.targets
        ),
        *coverage_key(
            filters=filters, slot_minutes=slot_minutes, target_scope=target_scope, now=now
        ),
        free_text=filters.text,
    )


COVERAGE_CSV_HEADER = ("weekday", "start_time", "agents_on_duty", "target", "shortfall")


def coverage_csv_rows(coverage: Coverage) -> Iterator[tuple]:
    """The heatmap as CSV rows, header first: weekday name, slot start (HH:MM), agents on duty,
    the staffing target and the shortfall (both empty where no target is set)."""
    yield COVERAGE_CSV_HEADER
    for row in coverage.rows:
        for cell in row.cells:
            yield (
                row.name,
                working_hours.format_minute(cell.minute),
                cell.count,
                "" if cell.target is None else cell.target,
                "" if cell.shortfall is None else cell.shortfall,
            )


# --- one slot --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotDetail:
    weekday: int
    minute: int
    slot_minutes: int
    total: int
    agents: list[tuple[Agent, str]]  # (agent, its hours humanised), at most SLOT_AGENT_LIMIT
    target: int | None = None
    # Of a slot under target: who works that weekday but is not on duty at this slot.
    off_duty_total: int = 0
    off_duty: list[tuple[Agent, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return working_hours.slot_label(self.weekday, self.minute, self.slot_minutes)

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.agents))

    @property
    def shortfall(self) -> int | None:
        return shortfall(self.target, self.total)

    @property
    def off_duty_more(self) -> int:
        return max(0, self.off_duty_total - len(self.off_duty))

    @property
    def weekday_name(self) -> str:
        return working_hours.WEEKDAY_NAMES[self.weekday]


def _named_with_hours(agents: QuerySet[Agent]) -> tuple[int, list[tuple[Agent, str]]]:
    listed = list(agents.prefetch_related("windows")[:SLOT_AGENT_LIMIT])
    return agents.count(), [(a, working_hours.windows_humanise(a.windows.all())) for a in listed]


def slot_on_duty(
    *,
    agents: QuerySet[Agent],
    weekday: int,
    minute: int,
    slot_minutes: int,
    target: int | None = None,
) -> SlotDetail:
    """The active agents on duty at `minute` of `weekday` (a slot's first minute), by name.

    The same rule as the heatmap's count, run in SQL (`working_hours.agents_on_duty_at`). With a
    `target` the slot falls short of, also those who work that weekday (a shift starting that
    day) but are not on duty at this slot: whom a manager could move.
    """
    active = agents.filter(is_active=True)
    on_duty_q = working_hours.agents_on_duty_at(weekday, minute)
    total, listed = _named_with_hours(active.filter(on_duty_q))
    off_total, off_listed = 0, []
    if shortfall(target, total):
        off_total, off_listed = _named_with_hours(
            active.filter(working_hours.works_on_day_q(weekday)).exclude(on_duty_q)
        )
    return SlotDetail(
        weekday=weekday,
        minute=minute,
        slot_minutes=slot_minutes,
        total=total,
        agents=listed,
        target=target,
        off_duty_total=off_total,
        off_duty=off_listed,
    )
