"""Working-window arithmetic: every case of the contract's `working` rules."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents import working_hours
from agents.deepcall.records import WorkingWindow as Record
from agents.models import Agent
from agents.models import WorkingWindow as ModelWindow
from agents.working_hours import (
    agent_is_on_shift,
    agent_on_shift_q,
    agents_on_duty_at,
    coverage_grid,
    window_days,
    windows_humanise,
    windows_week_segments,
    works_on_day_q,
)

KOLKATA = ZoneInfo("Asia/Kolkata")
WEEKDAYS = (0, 1, 2, 3, 4)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@pytest.fixture(autouse=True)
def _kolkata(settings):
    settings.DEEPCALL_TIME_ZONE = "Asia/Kolkata"


def at(day: int, hhmm: str, second: int = 0) -> datetime:
    """An aware instant in Kolkata on the given weekday of the week of Monday 2025-06-02."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2025, 6, 2 + day, hour, minute, second, tzinfo=KOLKATA)


def model_window(days, start, end) -> ModelWindow:
    return ModelWindow(
        weekday_mask=working_hours.mask_from_days(days), start_minute=start, end_minute=end
    )


# --- window_days -----------------------------------------------------------------------------


def test_window_days_reads_model_mask_and_record_tuple_alike():
    assert window_days(model_window((MON, WED, SUN), 0, 60)) == (MON, WED, SUN)
    assert window_days(Record((SUN, MON, WED), 0, 60)) == (MON, WED, SUN)
    assert window_days(ModelWindow(weekday_mask=0b1000001, start_minute=0, end_minute=1)) == (0, 6)


# --- humanise --------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [Record, model_window], ids=["record", "model"])
@pytest.mark.parametrize(
    ("windows", "text"),
    [
        ([(WEEKDAYS, 540, 1260)], "Mon–Fri 09:00–21:00"),
        ([(WEEKDAYS, 540, 780), (WEEKDAYS, 840, 1080)], "Mon–Fri 09:00–13:00; Mon–Fri 14:00–18:00"),
        ([(WEEKDAYS, 1320, 360)], "Mon–Fri 22:00–06:00 (overnight)"),
        ([((SUN,), 1320, 360)], "Sun 22:00–06:00 (overnight)"),
        ([((MON,), 0, 0)], "No hours set"),
        ([(EVERY_DAY, 0, 0)], "No hours set"),
        ([], "No hours set"),
        ([(EVERY_DAY, 0, 1439)], "All day, every day"),
        ([(WEEKDAYS, 0, 1439)], "Mon–Fri all day"),
        ([(EVERY_DAY, 540, 1020)], "Every day 09:00–17:00"),
        ([((MON, WED, FRI), 540, 1020)], "Mon, Wed, Fri 09:00–17:00"),
        ([((MON, TUE, THU, FRI, SAT), 540, 1020)], "Mon, Tue, Thu–Sat 09:00–17:00"),
        ([((SAT, SUN), 60, 360)], "Sat, Sun 01:00–06:00"),
        ([((MON,), 540, 1439)], "Mon 09:00–24:00"),
        ([((MON,), 1320, 0)], "Mon 22:00–24:00"),
        ([((MON,), 0, 0), ((TUE,), 540, 600)], "Tue 09:00–10:00"),
        ([((MON,), 540, 540)], "No hours set"),
    ],
)
def test_windows_humanise(make, windows, text):
    assert windows_humanise([make(*w) for w in windows]) == text


# --- on shift (Python) -----------------------------------------------------------------------

CASES = [
    # (windows, instant, on shift?)
    pytest.param([(WEEKDAYS, 540, 1260)], at(MON, "09:00"), True, id="single-start-inclusive"),
    pytest.param([(WEEKDAYS, 540, 1260)], at(MON, "08:59", 59), False, id="single-before"),
    pytest.param([(WEEKDAYS, 540, 1260)], at(MON, "20:59", 59), True, id="single-last-minute"),
    pytest.param([(WEEKDAYS, 540, 1260)], at(MON, "21:00"), False, id="single-end-exclusive"),
    pytest.param([(WEEKDAYS, 540, 1260)], at(SAT, "10:00"), False, id="single-other-day"),
    pytest.param(
        [(WEEKDAYS, 540, 780), (WEEKDAYS, 840, 1080)], at(TUE, "13:30"), False, id="several-gap"
    ),
    pytest.param(
        [(WEEKDAYS, 540, 780), (WEEKDAYS, 840, 1080)], at(TUE, "14:00"), True, id="several-second"
    ),
    pytest.param([((MON,), 1320, 360)], at(MON, "23:30"), True, id="overnight-evening"),
    pytest.param([((MON,), 1320, 360)], at(TUE, "00:00"), True, id="overnight-midnight"),
    pytest.param([((MON,), 1320, 360)], at(TUE, "05:59"), True, id="overnight-last-minute"),
    pytest.param([((MON,), 1320, 360)], at(TUE, "06:00"), False, id="overnight-end-exclusive"),
    pytest.param([((MON,), 1320, 360)], at(MON, "05:00"), False, id="overnight-not-before-start"),
    pytest.param([((MON,), 1320, 360)], at(TUE, "23:00"), False, id="overnight-not-next-evening"),
    pytest.param([((SUN,), 1320, 360)], at(MON, "03:00"), True, id="overnight-sunday-to-monday"),
    pytest.param([((SUN,), 1320, 360)], at(SUN, "03:00"), False, id="overnight-sunday-morning"),
    pytest.param([((SAT,), 1320, 360)], at(MON, "03:00"), False, id="overnight-only-one-day"),
    pytest.param([((MON,), 1320, 0)], at(MON, "23:59"), True, id="to-zero-ends-at-midnight"),
    pytest.param([((MON,), 1320, 0)], at(TUE, "00:00"), False, id="to-zero-no-tail"),
    pytest.param([(EVERY_DAY, 0, 1439)], at(WED, "00:00"), True, id="all-day-first-minute"),
    pytest.param([(EVERY_DAY, 0, 1439)], at(WED, "23:59", 59), True, id="all-day-last-minute"),
    pytest.param([((MON,), 540, 1439)], at(MON, "23:59"), True, id="to-1439-is-24:00"),
    pytest.param([((MON,), 540, 1439)], at(TUE, "00:00"), False, id="to-1439-not-next-day"),
    pytest.param([((MON,), 0, 1439)], at(TUE, "00:00"), False, id="all-day-only-its-day"),
    pytest.param([(EVERY_DAY, 0, 0)], at(WED, "00:00"), False, id="unset-0-0-not-24h"),
    pytest.param([(EVERY_DAY, 0, 0)], at(WED, "12:00"), False, id="unset-0-0-midday"),
    pytest.param([((MON,), 540, 540)], at(MON, "09:00"), False, id="from-equals-to-empty"),
    pytest.param([], at(WED, "12:00"), False, id="no-windows"),
    pytest.param([((), 0, 1439)], at(WED, "12:00"), False, id="no-days"),
    pytest.param([((MON,), 0, 0), ((MON,), 60, 360)], at(MON, "01:00"), True, id="unset-plus-real"),
]


@pytest.mark.parametrize("make", [Record, model_window], ids=["record", "model"])
@pytest.mark.parametrize(("windows", "instant", "expected"), CASES)
def test_agent_is_on_shift(make, windows, instant, expected):
    built = [make(*w) for w in windows]
    assert agent_is_on_shift(built, instant) is expected


def test_utc_instant_is_converted_to_the_account_time_zone():
    # 18:00 UTC on Monday is 23:30 on Monday in Kolkata (UTC+05:30).
    instant = datetime(2025, 6, 2, 18, 0, tzinfo=UTC)
    assert working_hours.local_weekday_minute(instant) == (MON, 23 * 60 + 30)
    evening = Record((MON,), 1380, 1439)  # Mon 23:00–24:00
    assert agent_is_on_shift([evening], instant)
    # In UTC it is still 18:00, so a Monday 18:00–19:00 window must NOT match.
    assert not agent_is_on_shift([Record((MON,), 1080, 1140)], instant)


def test_utc_instant_on_sunday_evening_is_monday_in_kolkata():
    # Sunday 20:00 UTC is Monday 01:30 in Kolkata: Sunday's overnight shift still covers it.
    instant = datetime(2025, 6, 8, 20, 0, tzinfo=UTC)
    assert working_hours.local_weekday_minute(instant) == (MON, 90)
    assert agent_is_on_shift([Record((SUN,), 1320, 360)], instant)
    assert not agent_is_on_shift([Record((SUN,), 1080, 1260)], instant)


def test_other_account_time_zone_is_honoured(settings):
    settings.DEEPCALL_TIME_ZONE = "America/New_York"
    instant = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)  # Monday 22:00 in New York (EDT)
    assert working_hours.local_weekday_minute(instant) == (MON, 22 * 60)


def test_naive_instant_is_account_wall_clock():
    assert working_hours.local_weekday_minute(datetime(2025, 6, 2, 9, 0)) == (MON, 540)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("hhmm", "day", "expected"),
    [("23:59", MON, True), ("00:00", TUE, True), ("00:30", TUE, True), ("02:00", TUE, False)],
)
def test_on_shift_now_across_midnight(settings, hhmm, day, expected, monkeypatch):
    now = at(day, hhmm).astimezone(UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    windows = [Record((MON,), 1320, 120)]  # Mon 22:00 – Tue 02:00
    assert agent_is_on_shift(windows, timezone.now()) is expected


# --- timeline segments -----------------------------------------------------------------------


def test_segments_single_window_per_day():
    week = windows_week_segments([Record(WEEKDAYS, 540, 1260)])
    assert not week.no_hours_set
    assert [len(d) for d in week.days] == [1, 1, 1, 1, 1, 0, 0]
    seg = week.days[TUE][0]
    assert (seg.start_minute, seg.end_minute, seg.continued) == (540, 1260, False)
    assert seg.label == "Tuesday 09:00–21:00"
    from agents.templatetags.timeline import bar_left, bar_width

    assert (bar_left(seg), bar_width(seg)) == ("37.500", "50.000")  # percentages of the day


def test_segments_overnight_split_sunday_wraps_to_monday():
    week = windows_week_segments([Record((SUN,), 1320, 360)])
    (evening,) = week.days[SUN]
    (morning,) = week.days[MON]
    assert (evening.start_minute, evening.end_minute, evening.continued) == (1320, 1440, False)
    assert (morning.start_minute, morning.end_minute, morning.continued) == (0, 360, True)
    assert "until Monday 06:00" in evening.label
    assert "from Sunday 22:00" in morning.label


def test_segments_all_day_and_end_of_day():
    week = windows_week_segments([Record((MON,), 0, 1439), Record((TUE,), 540, 1439)])
    assert (week.days[MON][0].start_minute, week.days[MON][0].end_minute) == (0, 1440)
    assert week.days[TUE][0].end_minute == 1440
    assert week.days[TUE][0].label == "Tuesday 09:00–24:00"
    assert week.days[WED] == ()


@pytest.mark.parametrize("windows", [[], [Record(EVERY_DAY, 0, 0)], [Record((MON,), 300, 300)]])
def test_segments_no_hours_set(windows):
    week = windows_week_segments(windows)
    assert week.no_hours_set
    assert week.days == ((),) * 7
    assert week.summary == "No hours set"


# --- coverage grid ---------------------------------------------------------------------------


def rows(agent, *windows):
    return [(agent, working_hours.mask_from_days(d), s, e) for d, s, e in windows]


def test_coverage_counts_each_agent_once_even_with_overlapping_windows():
    data = rows(1, (WEEKDAYS, 540, 1020), (WEEKDAYS, 600, 660)) + rows(2, (WEEKDAYS, 540, 600))
    grid = coverage_grid(data, 60)
    assert grid[MON][9] == 2  # 09:00
    assert grid[MON][10] == 1  # 10:00: agent 2 ends at 10:00 (exclusive)
    assert grid[MON][17] == 0  # 17:00
    assert grid[SAT][9] == 0


def test_coverage_overnight_sunday_wraps_and_unset_counts_nothing():
    data = rows(1, ((SUN,), 1320, 360)) + rows(2, (EVERY_DAY, 0, 0)) + rows(3, (EVERY_DAY, 0, 1439))
    grid = coverage_grid(data, 60)
    assert grid[SUN][22] == 2 and grid[SUN][23] == 2
    assert grid[MON][0] == 2 and grid[MON][5] == 2 and grid[MON][6] == 1
    assert grid[SUN][0] == 1


def test_coverage_half_hour_slots_sample_the_first_minute():
    grid = coverage_grid(rows(1, ((MON,), 550, 600)), 30)  # 09:10–10:00
    assert len(grid[MON]) == 48
    assert grid[MON][18] == 0  # 09:00 slot: not on duty at 09:00
    assert grid[MON][19] == 1  # 09:30


def test_coverage_rejects_slots_that_do_not_divide_a_day():
    with pytest.raises(ValueError, match="slot_minutes"):
        coverage_grid([], 7)


def random_windows(rng: random.Random) -> list[tuple[tuple[int, ...], int, int]]:
    """A mix of every contract case, including edge minutes."""
    edge = [0, 1, 59, 60, 359, 360, 540, 1020, 1260, 1320, 1380, 1438, 1439]
    shapes = []
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        days = tuple(sorted(rng.sample(range(7), rng.randint(0, 7))))
        kind = rng.random()
        if kind < 0.1:
            shapes.append((days, 0, 0))
        elif kind < 0.2:
            shapes.append((days, 0, 1439))
        else:
            shapes.append((days, rng.choice(edge), rng.choice(edge)))
    return shapes


def test_coverage_grid_agrees_with_window_covers_on_random_agents():
    rng = random.Random(7)
    agents = {i: random_windows(rng) for i in range(300)}
    data = [r for i, ws in agents.items() for r in rows(i, *ws)]
    for slot in (60, 30):
        grid = coverage_grid(data, slot)
        for day, start in itertools.product(range(7), range(0, 1440, slot)):
            expected = sum(
                any(working_hours.window_covers(Record(*w), day, start) for w in ws)
                for ws in agents.values()
            )
            assert grid[day][start // slot] == expected, (day, start)


# --- the Q builders agree with the Python rules ----------------------------------------------


@pytest.fixture
def varied_agents(db):
    rng = random.Random(11)
    fixed = [
        [(WEEKDAYS, 540, 1260)],
        [(WEEKDAYS, 540, 780), (WEEKDAYS, 840, 1080)],
        [((SUN,), 1320, 360)],
        [(WEEKDAYS, 1320, 360)],
        [((MON,), 1320, 0)],
        [(EVERY_DAY, 0, 1439)],
        [(EVERY_DAY, 0, 0)],
        [((MON,), 540, 1439)],
        [((TUE,), 540, 540)],
        [],
    ]
    shapes = fixed + [random_windows(rng) for _ in range(120)]
    now = timezone.now()
    agents = Agent.objects.bulk_create(
        Agent(agent_id=str(i), agent_id_sort=i, name=f"Agent {i}", synced_at=now)
        for i in range(len(shapes))
    )
    ModelWindow.objects.bulk_create(
        ModelWindow(
            agent=agent,
            weekday_mask=working_hours.mask_from_days(w[0]),
            start_minute=w[1],
            end_minute=w[2],
            position=p,
        )
        for agent, ws in zip(agents, shapes, strict=True)
        for p, w in enumerate(ws)
    )
    return {a.pk: [Record(*w) for w in ws] for a, ws in zip(agents, shapes, strict=True)}


def instants():
    base = datetime(2025, 6, 2, tzinfo=KOLKATA)
    minutes = [0, 1, 59, 60, 359, 360, 361, 539, 540, 779, 780, 1019, 1020, 1259, 1260]
    minutes += [1319, 1320, 1379, 1380, 1437, 1438, 1439]
    for day in range(7):
        for minute in minutes:
            yield base + timedelta(days=day, minutes=minute)


@pytest.mark.django_db
def test_agent_on_shift_q_agrees_with_agent_is_on_shift(varied_agents):
    checked = 0
    for instant in itertools.chain(instants(), [datetime(2025, 6, 8, 20, 0, tzinfo=UTC)]):
        in_sql = set(Agent.objects.filter(agent_on_shift_q(instant)).values_list("pk", flat=True))
        in_python = {pk for pk, ws in varied_agents.items() if agent_is_on_shift(ws, instant)}
        assert in_sql == in_python, instant
        checked += 1
    assert checked > 100


@pytest.mark.django_db
def test_agents_on_duty_at_agrees_with_coverage_grid(varied_agents):
    data = ModelWindow.objects.values_list("agent_id", "weekday_mask", "start_minute", "end_minute")
    grid = coverage_grid(data, 60)
    for day in range(7):
        for hour in (0, 5, 6, 9, 13, 21, 22, 23):
            count = Agent.objects.filter(agents_on_duty_at(day, hour * 60)).count()
            assert count == grid[day][hour], (day, hour)


@pytest.mark.django_db
@pytest.mark.parametrize("day", range(7))
def test_works_on_day_q_means_a_shift_starts_that_day(varied_agents, day):
    found = set(Agent.objects.filter(works_on_day_q(day)).values_list("pk", flat=True))
    expected = {
        pk
        for pk, ws in varied_agents.items()
        if any(day in w.weekdays and not working_hours.window_is_unset(w) for w in ws)
    }
    assert found == expected


@pytest.mark.django_db
def test_works_on_day_ignores_sunday_overnight_tail_on_monday(varied_agents):
    sunday_night = Agent.objects.get(agent_id="2")  # the fixed Sunday 22:00–06:00 agent
    assert not Agent.objects.filter(works_on_day_q(MON), pk=sunday_night.pk).exists()
    assert Agent.objects.filter(works_on_day_q(SUN), pk=sunday_night.pk).exists()
    assert Agent.objects.filter(agents_on_duty_at(MON, 60), pk=sunday_night.pk).exists()
