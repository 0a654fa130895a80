"""The schedules pages over HTTP: permissions, filters, the heatmap, the CSV and one slot."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from agents import working_hours
from agents.models import Agent, SyncRun
from agents.sandbox.data import DEFAULT_SEED
from agents.sandbox.server import start_in_thread
from agents.services import coverage as coverage_service
from agents.services.read_model_sync import agent_sync
from agents.upstream import reset_deepcall_client
from tests.fixtures.agents import make_agent
from tests.fixtures.sandbox import SANDBOX_TEST_AGENTS

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = (MON, TUE, WED, THU, FRI)
URL = reverse("schedules")
CSV_URL = reverse("schedules-coverage-csv")
SLOT_URL = reverse("schedules-slot")


@pytest.fixture
def team(db):
    return {
        "day": make_agent(1, "Asha Day", [(WEEKDAYS, 540, 1260)], groups=["10"]),
        "night": make_agent(2, "Nikhil Night", [((SUN,), 1320, 360)], groups=["11"]),
        "allday": make_agent(3, "Alwin Always", [((SAT,), 0, 1439)], groups=["10"]),
        "unset": make_agent(4, "Usha Unset", [(WEEKDAYS, 0, 0)]),
        "gone": make_agent(5, "Ira Inactive", [(WEEKDAYS, 540, 1260)], active=False),
    }


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, CSV_URL, f"{SLOT_URL}?slot_day=0&slot_minute=540"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("url", [URL, CSV_URL, f"{SLOT_URL}?slot_day=0&slot_minute=540"])
def test_user_without_role_is_forbidden(client, nobody_user, url):
    client.force_login(nobody_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role_client", ["supervisor_client", "manager_client", "admin_client"])
def test_every_role_with_view_schedules_may_look(request, role_client, team):
    response = request.getfixturevalue(role_client).get(URL)
    assert response.status_code == 200


def test_post_is_not_allowed(manager_client):
    assert manager_client.post(URL).status_code == 405


# --- the page --------------------------------------------------------------------------------


def test_page_shows_timeline_rows_heatmap_and_legend(manager_client, team):
    response = manager_client.get(URL)
    html = response.content.decode()
    assert "Mon–Fri 09:00–21:00" in html
    assert "Sun 22:00–06:00 (overnight)" in html
    assert "No hours set" in html
    assert 'aria-label="Tuesday 09:00–10:00: 1 agent on duty"' in html
    assert 'aria-label="Monday 07:00–08:00: no agents on duty (gap)"' in html
    assert 'aria-label="Monday 00:00–01:00: 1 agent on duty"' in html  # Sunday's night shift
    assert "Gap (hatched): nobody on duty" in html
    assert 'scope="row"' in html and 'scope="col"' in html
    assert "css/schedules.css" in html
    assert "<script>" not in html  # CSP: no inline script


def test_inactive_agents_are_drawn_but_never_counted(manager_client, team):
    coverage = manager_client.get(URL).context["coverage"]
    assert coverage.active_agents == 4
    assert coverage.rows[MON].cells[9].count == 1  # Asha only; Ira is inactive


def test_filters_apply_to_timeline_and_heatmap(manager_client, team):
    response = manager_client.get(URL, {"q": "nikhil"})
    rows = response.context["timeline"].rows
    assert [r.agent.name for r in rows] == ["Nikhil Night"]
    coverage = response.context["coverage"]
    assert coverage.rows[TUE].cells[9].count == 0
    assert coverage.rows[MON].cells[2].count == 1


def test_links_keep_the_filters(manager_client, team):
    html = manager_client.get(URL, {"q": "asha", "slot": "30"}).content.decode()
    assert f"{SLOT_URL}?q=asha&amp;slot=30&amp;slot_day=1&amp;slot_minute=540" in html
    assert f"{CSV_URL}?q=asha&amp;slot=30" in html


def test_timeline_is_paginated_by_fifty_and_page_links_keep_filters(manager_client, db):
    for i in range(1, 121):
        make_agent(i, f"Agent {i:03d}", [(WEEKDAYS, 540, 1020)])
    response = manager_client.get(URL, {"q": "agent", "page": "2"})
    timeline = response.context["timeline"]
    assert len(timeline.rows) == coverage_service.TIMELINE_PAGE_SIZE == 50
    assert timeline.rows[0].agent.name == "Agent 051"
    html = response.content.decode()
    assert f"{URL}?q=agent&amp;page=3" in html  # the default slot size needs no key


def test_htmx_page_link_returns_only_the_timeline(manager_client, team):
    response = manager_client.get(URL, {"page": "1"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="timeline"')
    assert "Coverage" not in html
    assert "coverage" not in response.context


@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_bad_page_number_shows_a_page(manager_client, team, page):
    assert manager_client.get(URL, {"page": page}).status_code == 200


def test_filtering_keeps_the_chosen_slot_size(manager_client, team):
    html = manager_client.get(URL, {"slot": "30"}).content.decode()
    form = html.split('id="agent-filter"')[1].split("</form>")[0]
    assert '<input type="hidden" name="slot" value="30">' in form


def test_half_hour_slots(manager_client, team):
    response = manager_client.get(URL, {"slot": "30"})
    coverage = response.context["coverage"]
    assert coverage.slot_minutes == 30
    assert len(coverage.rows[MON].cells) == 48
    assert 'aria-label="Tuesday 09:30–10:00: 1 agent on duty"' in response.content.decode()


@pytest.mark.parametrize("slot", ["7", "abc", "0", "-30", "1440"])
def test_bad_slot_size_falls_back_to_hours_with_a_message(manager_client, team, slot):
    response = manager_client.get(URL, {"slot": slot})
    assert response.status_code == 200
    assert response.context["coverage"].slot_minutes == 60
    assert "Slots can be 60 or 30 minutes long; showing hours." in response.content.decode()


def test_on_shift_now_across_midnight(manager_client, team, monkeypatch):
    # Monday 01:30 in Kolkata (Sunday 20:00 UTC): Sunday's night shift is on duty.
    now = datetime(2025, 6, 8, 20, 0, tzinfo=ZoneInfo("UTC"))
    monkeypatch.setattr(timezone, "now", lambda: now)
    response = manager_client.get(URL)
    on_shift = {r.agent.name for r in response.context["timeline"].rows if r.on_shift_now}
    assert on_shift == {"Nikhil Night"}
    assert response.context["timeline"].now_text == "Monday 01:30"


# --- the cached heatmap ----------------------------------------------------------------------

HEATMAP_CELL = re.compile(
    r'data-day="(\d)" data-minute="(\d+)"><span class="hm-count">(\d+)</span>'
)


def heatmap_counts(response) -> dict[tuple[int, int], int]:
    """(weekday, slot start) -> the count the page shows in that cell."""
    cells = HEATMAP_CELL.findall(response.content.decode())
    return {(int(day), int(minute)): int(count) for day, minute, count in cells}


def counts_in_the_database(slot_minutes: int = 60) -> dict[tuple[int, int], int]:
    coverage = coverage_service.coverage_for(Agent.objects.all(), slot_minutes)
    return {(c.weekday, c.minute): c.count for row in coverage.rows for c in row.cells}


@pytest.fixture
def deepcall(sandbox_settings):
    reset_deepcall_client()
    yield sandbox_settings
    reset_deepcall_client()


def test_heatmap_comes_from_the_cache_until_a_sync_changes_the_hours(
    manager_client, deepcall, settings, monkeypatch
):
    assert agent_sync(trigger="command").outcome == SyncRun.Outcome.SUCCEEDED
    before = heatmap_counts(manager_client.get(URL))
    assert before == counts_in_the_database()

    def no_coverage_work(*args, **kwargs):
        raise AssertionError("the heatmap should have come from the cache")

    with monkeypatch.context() as patch:
        patch.setattr(coverage_service, "coverage_for", no_coverage_work)
        assert heatmap_counts(manager_client.get(URL)) == before

    # The same account with other people in it: the generated agents work other hours.
    with start_in_thread(agents=SANDBOX_TEST_AGENTS, seed=DEFAULT_SEED + 1) as other:
        settings.DEEPCALL_API_URL = other.url
        reset_deepcall_client()
        assert agent_sync(trigger="command").outcome == SyncRun.Outcome.SUCCEEDED
    after = heatmap_counts(manager_client.get(URL))
    assert after != before
    assert after == counts_in_the_database()


def test_each_filter_and_slot_size_has_its_own_heatmap(manager_client, team):
    everyone = manager_client.get(URL).content.decode()
    assert 'aria-label="Tuesday 09:00–10:00: 1 agent on duty"' in everyone
    nikhil = manager_client.get(URL, {"q": "nikhil"}).content.decode()
    assert 'aria-label="Tuesday 09:00–10:00: no agents on duty (gap)"' in nikhil
    assert f"{SLOT_URL}?q=nikhil&amp;slot_day=1&amp;slot_minute=540" in nikhil
    half_hours = manager_client.get(URL, {"q": "nikhil", "slot": "30"})
    assert len(heatmap_counts(half_hours)) == 7 * 48
    assert heatmap_counts(half_hours)[(MON, 330)] == 1  # Sunday's night shift, to 06:00


def test_on_shift_now_heatmap_follows_the_clock(manager_client, team, monkeypatch):
    # Monday 10:00 in Kolkata Asha is on shift; at 01:30 it is Nikhil, from Sunday night.
    monkeypatch.setattr(
        timezone, "now", lambda: datetime(2025, 6, 9, 4, 30, tzinfo=ZoneInfo("UTC"))
    )
    morning = heatmap_counts(manager_client.get(URL, {"on_shift": "yes"}))
    assert (morning[(TUE, 540)], morning[(MON, 0)]) == (1, 0)
    monkeypatch.setattr(
        timezone, "now", lambda: datetime(2025, 6, 8, 20, 0, tzinfo=ZoneInfo("UTC"))
    )
    night = heatmap_counts(manager_client.get(URL, {"on_shift": "yes"}))
    assert (night[(TUE, 540)], night[(MON, 0)]) == (0, 1)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_has_the_exact_header_and_one_row_per_slot(manager_client, team):
    response = manager_client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["weekday", "start_time", "agents_on_duty", "target", "shortfall"]
    assert len(rows) == 1 + 7 * 24
    table = {(r[0], r[1]): int(r[2]) for r in rows[1:]}
    assert table[("Monday", "00:00")] == 1  # Nikhil, from Sunday night
    assert table[("Monday", "06:00")] == 0
    assert table[("Tuesday", "09:00")] == 1
    assert table[("Saturday", "23:00")] == 1  # Alwin, all day
    assert table[("Sunday", "22:00")] == 1
    assert table[("Wednesday", "21:00")] == 0  # 09:00–21:00 ends before 21:00


def test_csv_matches_the_heatmap_and_takes_the_same_filters(manager_client, team):
    params = {"q": "asha", "slot": "30"}
    coverage = manager_client.get(URL, params).context["coverage"]
    rows = read_csv(manager_client.get(CSV_URL, params))
    assert len(rows) == 1 + 7 * 48
    expected = [
        [row.name, working_hours.format_minute(c.minute), str(c.count), "", ""]
        for row in coverage.rows
        for c in row.cells
    ]
    assert rows[1:] == expected
    assert ["Saturday", "12:00", "0", "", ""] in rows  # Alwin is filtered out; no targets


def test_csv_with_bad_slot_uses_hours(manager_client, team):
    rows = read_csv(manager_client.get(CSV_URL, {"slot": "7"}))
    assert len(rows) == 1 + 7 * 24


# --- one slot --------------------------------------------------------------------------------


def test_slot_lists_who_is_on_duty_as_a_full_page(manager_client, team):
    response = manager_client.get(SLOT_URL, {"slot_day": MON, "slot_minute": 60})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Monday 01:00–02:00" in html
    assert "Nikhil Night" in html and "Asha Day" not in html


def test_slot_returns_a_partial_for_htmx(manager_client, team):
    response = manager_client.get(
        SLOT_URL, {"slot_day": TUE, "slot_minute": 540}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "Asha Day" in html
    assert "Ira Inactive" not in html  # inactive agents are never on duty in the figures


def test_slot_keeps_the_filters(manager_client, team):
    response = manager_client.get(
        SLOT_URL, {"slot_day": TUE, "slot_minute": 540, "q": "nobody-matches"}
    )
    assert "Gap:" in response.content.decode()


def test_slot_gap_says_so(manager_client, team):
    response = manager_client.get(SLOT_URL, {"slot_day": MON, "slot_minute": 420})
    assert response.context["slot"].total == 0
    assert "Gap:" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"slot_day": "9", "slot_minute": "540"},
        {"slot_day": "1", "slot_minute": "-5"},
        {"slot_day": "1", "slot_minute": "1440"},
        {"slot_day": "x", "slot_minute": "y"},
        {},
    ],
)
def test_bad_slot_params_give_a_clear_message(manager_client, team, params):
    response = manager_client.get(SLOT_URL, params)
    assert response.status_code == 400
    assert "the day must be 0 (Monday) to 6 (Sunday)" in response.content.decode()
    htmx = manager_client.get(SLOT_URL, params, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert "the day must be 0 (Monday) to 6 (Sunday)" in htmx.content.decode()


def test_slot_with_bad_slot_size_still_lists_agents(manager_client, team):
    response = manager_client.get(SLOT_URL, {"slot_day": TUE, "slot_minute": 540, "slot": "7"})
    assert response.status_code == 200
    assert "Tuesday 09:00–10:00" in response.content.decode()


def test_works_on_day_filters_the_schedules_as_it_does_the_directory(manager_client, team):
    body = manager_client.get(URL).content.decode()
    assert 'name="q"' in body and 'name="status"' in body and '<select name="day"' in body
    response = manager_client.get(URL, {"day": SAT})
    assert [r.agent.name for r in response.context["timeline"].rows] == ["Alwin Always"]
    # The slot panel's own day is another parameter: both apply.
    slot = manager_client.get(SLOT_URL, {"day": SAT, "slot_day": SAT, "slot_minute": 600})
    assert "Alwin Always" in slot.content.decode()
