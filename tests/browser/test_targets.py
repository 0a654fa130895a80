"""Staffing targets in a real browser: the grid, its helpers, the heatmap's shortfall, axe."""

from __future__ import annotations

import pytest

from agents.models import StaffingTargetChange
from tests.fixtures.agents import make_agent
from tests.fixtures.browser import assert_accessible, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = (MON, TUE, WED, THU, FRI)


@pytest.fixture
def roster(db):
    make_agent(1, "Asha Day", [(WEEKDAYS, 540, 1260)])
    make_agent(2, "Bela Early", [(WEEKDAYS, 420, 900)])
    make_agent(3, "Chen Late", [(WEEKDAYS, 720, 1320)])


def heatmap_cell(page, day: int, minute: int):
    return page.locator(f'.heatmap a[data-day="{day}"][data-minute="{minute}"]')


def test_manager_edits_the_grid_fills_a_range_and_copies_monday(page, manager_user):
    login(page, manager_user)
    page.goto("/schedules/targets/")
    page.get_by_role("heading", name="Staffing targets: Overall").wait_for()
    assert_accessible(page)
    page.get_by_label("Target for Monday 09:00–10:00").fill("5")
    page.get_by_label("Target for Tuesday 12:00–13:00").fill("3")
    page.get_by_role("button", name="Save targets").click()
    page.get_by_text("Saved: 2 hour slots changed.").wait_for()
    assert page.get_by_label("Target for Monday 09:00–10:00").input_value() == "5"
    # The change log names who changed what.
    log = page.locator("#target-changes tbody tr").first
    assert "maya.manager" in log.inner_text() and "2 hour slots" in log.inner_text()

    fill = page.locator("form.target-fill")
    for day in ("Tuesday", "Wednesday", "Thursday", "Friday"):
        fill.get_by_label(day).uncheck()
    fill.get_by_label("From").select_option("13:00")
    fill.get_by_label("Until").select_option("15:00")
    fill.get_by_label("Target").fill("4")
    fill.get_by_role("button", name="Fill").click()
    page.get_by_text("Saved: 2 hour slots changed.").wait_for()
    assert page.get_by_label("Target for Monday 14:00–15:00").input_value() == "4"
    page.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()
    # Tuesday gains 09:00, 13:00 and 14:00 and loses 12:00; Wednesday to Friday gain three each.
    page.get_by_text("Saved: 13 hour slots changed.").wait_for()
    assert page.get_by_label("Target for Friday 09:00–10:00").input_value() == "5"
    assert page.get_by_label("Target for Tuesday 12:00–13:00").input_value() == ""
    assert StaffingTargetChange.objects.count() == 3
    assert_accessible(page)
    screenshot(page, "staffing-targets")


def test_targets_set_in_the_grid_show_as_shortfall_on_the_heatmap(page, manager_user, roster):
    login(page, manager_user)
    page.goto("/schedules/")
    monday_nine = heatmap_cell(page, MON, 540)
    assert monday_nine.get_attribute("aria-label") == "Monday 09:00–10:00: 2 agents on duty"
    assert page.locator("td.hm-short").count() == 0

    page.get_by_role("link", name="Staffing targets").click()
    page.get_by_label("Target for Monday 09:00–10:00").fill("5")
    page.get_by_label("Target for Monday 13:00–14:00").fill("4")
    page.get_by_label("Target for Monday 14:00–15:00").fill("3")
    page.get_by_role("button", name="Save targets").click()
    page.get_by_text("Saved: 3 hour slots changed.").wait_for()

    page.get_by_role("link", name="← Back to schedules").click()
    page.get_by_role("heading", name="Coverage").wait_for()
    assert monday_nine.get_attribute("aria-label") == (
        "Monday 09:00–10:00: 2 agents on duty, target 5, 3 short"
    )
    # Short: by colour and pattern (the class) and by text ("−3"), not colour alone.
    assert "hm-short" in monday_nine.locator("xpath=..").get_attribute("class")
    assert monday_nine.inner_text().split() == ["2/5", "−3"]
    assert heatmap_cell(page, MON, 840).inner_text().split() == ["3/3"]  # met
    # 09:00: Asha and Bela of 5; 13:00: all three of 4; 14:00: all three of 3.
    assert "4 agent-hours short per week" in page.locator("#shortfall-summary").inner_text()
    assert_accessible(page)
    screenshot(page, "schedules-shortfall")

    # Choosing the short cell lists who is on duty and who works that day but not then.
    monday_nine.click()
    panel = page.locator("#slot-detail")
    panel.get_by_text("3 short.").wait_for()
    assert panel.locator(".slot-agents a").all_inner_texts() == ["Asha Day", "Bela Early"]
    assert panel.locator(".slot-off-duty a").all_inner_texts() == ["Chen Late"]
    assert_accessible(page)


def test_supervisor_sees_the_grid_read_only(page, supervisor_user):
    login(page, supervisor_user)
    page.goto("/schedules/targets/?slot=30")
    field = page.get_by_label("Target for Monday 09:30–10:00")
    assert field.get_attribute("readonly") is not None
    assert page.get_by_role("button", name="Save targets").count() == 0
    assert page.get_by_text("Recent changes of targets").count() == 0
    assert_accessible(page)
