"""The change history in a real browser: from the home page's count to a filtered, paged list
updated in place by htmx, with the URL as state (back button) and axe on the page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from agents.services import agent_sync
from agents.upstream import reset_deepcall_client
from tests.fixtures.browser import assert_accessible, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def synced_twice(sandbox_settings):
    """A first load, then DeepCall renames one agent, moves its hours and removes another."""
    reset_deepcall_client()
    agent_sync(trigger="command")
    httpx.post(
        f"{sandbox_settings.url}/_sandbox/mutate",
        json={
            "rename": {"4": "Vijay Kumar"},
            "hours": {
                "4": [
                    {"wDays": ["MON", "TUE", "WED", "THU", "FRI", "SAT"], "from": 540, "to": 1080}
                ]
            },
            "remove": ["8"],
        },
    )
    agent_sync(trigger="command")
    yield
    reset_deepcall_client()


def rows(page):
    return page.locator(".change-table tbody tr")


def test_supervisor_follows_the_home_count_and_filters_the_history(
    page, supervisor_user, synced_twice
):
    login(page, supervisor_user)
    page.goto("/")
    link = page.get_by_role("link", name=re.compile(r"4 changes in DeepCall since your last visit"))
    link.click()
    page.wait_for_url(re.compile(r"/changes/"))
    expect(rows(page)).to_have_count(4)  # rename, hours, removal, first load
    screenshot(page, "changes")
    assert_accessible(page)

    # Choosing a kind of change swaps only the table and puts the filter in the URL.
    page.get_by_label("Change", exact=True).select_option(label="Working hours changed")
    page.wait_for_url(re.compile(r"kind=hours"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Mon–Sat 00:00–23:00")
    expect(rows(page).first).to_contain_text("Mon–Sat 09:00–18:00")

    # The back button brings the unfiltered list back, its form too.
    page.go_back()
    page.wait_for_url(lambda url: "kind=" not in url)
    expect(rows(page)).to_have_count(4)
    expect(page.get_by_label("Change", exact=True)).to_have_value("")

    # Seen now: the home page says so.
    page.goto("/")
    expect(page.locator("#changes-since-visit")).to_contain_text("No changes in DeepCall since")
    assert page.console_errors == []
