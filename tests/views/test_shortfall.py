"""The heatmap, its CSV and the slot panel measured against staffing targets."""

from __future__ import annotations

import csv
import io
import random

import pytest
from django.urls import reverse

from agents import working_hours
from agents.models import StaffingTarget
from tests.fixtures.agents import make_agent

URL = reverse("schedules")
CSV_URL = reverse("schedules-coverage-csv")
SLOT_URL = reverse("schedules-slot")
GRID_URL = reverse("schedules-targets")
SAVE_URL = reverse("schedules-targets-save")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = (MON, TUE, WED, THU, FRI)


def set_target(weekday, minute, target, group_id="", slot_minutes=60):
    for half in range(minute, minute + slot_minutes, 30):
        StaffingTarget.objects.update_or_create(
            group_id=group_id, weekday=weekday, start_minute=half, defaults={"target": target}
        )


def csv_table(client, params=None) -> dict[tuple[str, str], list[str]]:
    rows = list(csv.reader(io.StringIO(client.get(CSV_URL, params or {}).content.decode())))
    assert rows[0] == ["weekday", "start_time", "agents_on_duty", "target", "shortfall"]
    return {(r[0], r[1]): r[2:] for r in rows[1:]}


@pytest.fixture
def team(db):
    make_agent(1, "Asha Day", [(WEEKDAYS, 540, 1260)], groups=["10"])
    make_agent(2, "Bela Early", [(WEEKDAYS, 420, 900)], groups=["10"])
    make_agent(3, "Chen Late", [(WEEKDAYS, 720, 1320)], groups=["11"])
    make_agent(4, "Ira Inactive", [(WEEKDAYS, 540, 1260)], active=False, groups=["10"])


# --- independent check -----------------------------------------------------------------------


def random_window(rng):
    days = tuple(sorted(rng.sample(range(7), rng.randint(1, 7))))
    start = rng.randrange(0, 1440, rng.choice([1, 15, 30, 60]))
    end = rng.choice([0, 1439, start, rng.randrange(0, 1440, 30)])
    return days, start, end


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("slot_minutes", [60, 30])
def test_shortfall_matches_a_count_made_agent_by_agent(manager_client, db, seed, slot_minutes):
    """For random agents, groups and targets, every CSV row's target and shortfall equal
    max(0, target − on duty) where on duty is counted here agent by agent with
    `working_hours.window_covers`, not with the heatmap's difference array."""
    rng = random.Random(seed)
    agents = []
    for n in range(1, 61):
        windows = [random_window(rng) for _ in range(rng.randint(0, 3))]
        group = rng.choice(["7", "8"])
        active = rng.random() > 0.15
        make_agent(n, f"Agent {n}", windows, active=active, groups=[group])
        agents.append((windows, group, active))
    starts = working_hours.slot_starts(slot_minutes)
    targets: dict[str, dict[tuple[int, int], int]] = {"": {}, "7": {}}
    for group_id, wanted in targets.items():
        for weekday in range(7):
            for minute in starts:
                if rng.random() < 0.6:
                    wanted[(weekday, minute)] = rng.randint(0, 40)
                    set_target(weekday, minute, wanted[(weekday, minute)], group_id, slot_minutes)

    for group_id, params in (("", {}), ("7", {"group": "7"})):
        params = {**params, "slot": str(slot_minutes)}
        table = csv_table(manager_client, params)
        assert len(table) == 7 * len(starts)
        for weekday in range(7):
            for minute in starts:
                on_duty = sum(
                    1
                    for windows, group, active in agents
                    if active
                    and (not group_id or group == group_id)
                    and any(
                        working_hours.window_covers(
                            working_hours.Window(working_hours.mask_from_days(d), s, e),
                            weekday,
                            minute,
                        )
                        for d, s, e in windows
                    )
                )
                target = targets[group_id].get((weekday, minute))
                row = table[
                    (working_hours.WEEKDAY_NAMES[weekday], working_hours.format_minute(minute))
                ]
                if target is None:
                    assert row == [str(on_duty), "", ""]
                else:
                    assert row == [str(on_duty), str(target), str(max(0, target - on_duty))]


# --- the heatmap -----------------------------------------------------------------------------


def test_a_short_cell_says_so_in_text_and_the_summary_adds_up(manager_client, team):
    set_target(MON, 540, 5)  # Asha and Bela on duty: 3 short
    set_target(TUE, 720, 3)  # Asha, Bela, Chen: met
    set_target(WED, 1320, 2)  # nobody: 2 short
    response = manager_client.get(URL)
    html = response.content.decode()
    assert 'aria-label="Monday 09:00–10:00: 2 agents on duty, target 5, 3 short"' in html
    assert 'aria-label="Tuesday 12:00–13:00: 3 agents on duty, target 3, target met"' in html
    assert 'aria-label="Wednesday 22:00–23:00: no agents on duty (gap), target 2, 2 short"' in html
    assert 'data-shortfall="3"' in html and "−3</span>" in html
    coverage = response.context["coverage"]
    assert coverage.short_count == 2
    assert "5 agent-hours short per week" in html
    assert [(c.weekday, c.minute) for c in coverage.worst_slots] == [(MON, 540), (WED, 1320)]
    assert "Short (cross-hatched)" in html


def test_half_hour_shortfall_counts_half_hours_as_half_an_hour(manager_client, team):
    StaffingTarget.objects.create(weekday=MON, start_minute=570, target=3)  # 1 short
    html = manager_client.get(URL, {"slot": "30"}).content.decode()
    assert "0.5 agent-hours short per week" in html


def test_a_group_filter_measures_the_group_against_its_own_targets(manager_client, team):
    set_target(MON, 780, 4)  # overall: Asha, Bela, Chen = 3 on duty
    set_target(MON, 780, 4, group_id="10")  # group 10: Asha, Bela = 2
    overall = csv_table(manager_client)
    assert overall[("Monday", "13:00")] == ["3", "4", "1"]
    group = csv_table(manager_client, {"group": "10"})
    assert group[("Monday", "13:00")] == ["2", "4", "2"]
    assert group[("Monday", "14:00")] == ["2", "", ""]
    html = manager_client.get(URL, {"group": "10"}).content.decode()
    assert "against the G10 (#10) targets" in html


def test_several_groups_have_no_target_and_the_page_says_why(manager_client, team):
    set_target(MON, 540, 5)
    table = csv_table(manager_client, {"group": ["10", "11"]})
    assert table[("Monday", "09:00")] == ["2", "", ""]
    html = manager_client.get(URL, {"group": ["10", "11"]}).content.decode()
    assert "filter by one group (or none)" in html


def test_no_targets_says_where_to_set_them(manager_client, team):
    html = manager_client.get(URL).content.decode()
    assert "No staffing targets are set for Overall" in html
    assert f'href="{GRID_URL}?slot=60"' in html


def test_a_target_saved_in_the_grid_shows_on_the_cached_heatmap_at_once(manager_client, team):
    before = manager_client.get(URL).content.decode()  # fills the heatmap's cache
    assert 'aria-label="Monday 09:00–10:00: 2 agents on duty"' in before
    manager_client.post(SAVE_URL, {"t-0-540": "6"})
    html = manager_client.get(URL).content.decode()
    assert 'aria-label="Monday 09:00–10:00: 2 agents on duty, target 6, 4 short"' in html


# --- one short slot --------------------------------------------------------------------------


def test_a_short_slot_lists_who_works_that_day_but_not_then(manager_client, team):
    set_target(MON, 480, 4)  # 08:00: only Bela on duty
    response = manager_client.get(SLOT_URL, {"slot_day": MON, "slot_minute": 480})
    html = response.content.decode()
    slot = response.context["slot"]
    assert (slot.total, slot.target, slot.shortfall) == (1, 4, 3)
    assert [a.name for a, _ in slot.agents] == ["Bela Early"]
    # Asha and Chen work on Monday, later; Ira is inactive.
    assert [a.name for a, _ in slot.off_duty] == ["Asha Day", "Chen Late"]
    assert "3 short." in html
    assert "Working on Monday, but not at this time (2)" in html


def test_a_slot_that_meets_its_target_lists_no_one_else(manager_client, team):
    set_target(MON, 600, 1)
    response = manager_client.get(SLOT_URL, {"slot_day": MON, "slot_minute": 600})
    slot = response.context["slot"]
    assert slot.shortfall == 0 and slot.off_duty == []
    assert "Target met." in response.content.decode()


def test_a_group_slot_lists_only_that_groups_members(manager_client, team):
    set_target(MON, 480, 5, group_id="10")
    params = {"slot_day": MON, "slot_minute": 480, "group": "10"}
    slot = manager_client.get(SLOT_URL, params).context["slot"]
    assert slot.target == 5
    assert [a.name for a, _ in slot.off_duty] == ["Asha Day"]  # Chen is in group 11
