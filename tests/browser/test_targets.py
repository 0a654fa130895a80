"""Staffing targets in a real browser: the grid and its helpers, read-only for Supervisors, axe."""

from __future__ import annotations

import pytest

from agents.models import StaffingTargetChange
from tests.fixtures.browser import assert_accessible, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_supervisor_sees_the_grid_read_only(page, supervisor_user):
    login(page, supervisor_user)
    page.goto("/schedules/targets/?slot=30")
    field = page.get_by_label("Target for Monday 09:30–10:00")
    assert field.get_attribute("readonly") is not None
    assert page.get_by_role("button", name="Save targets").count() == 0
    assert page.get_by_text("Recent changes of targets").count() == 0
    assert_accessible(page)
