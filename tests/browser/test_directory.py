"""The agent directory in a real browser: search as you type, filters, sort, paging, history,
the detail panel and its own URL, the CSV download, and axe on each state."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from agents.upstream import reset_deepcall_client
from tests.fixtures.browser import assert_accessible, login, screenshot
from tests.fixtures.sandbox import SANDBOX_LISTED_AGENTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def directory_settings(sandbox_settings, settings):
    """The dashboard talks to the test sandbox and runs syncs at once (no worker)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset_deepcall_client()
    yield sandbox_settings
    reset_deepcall_client()


def rows(page):
    return page.locator("#agent-table tbody tr")


def open_directory(page, user):
    login(page, user)
    page.goto("/agents/")
    expect(page.locator("#agent-count")).to_contain_text(f"of {SANDBOX_LISTED_AGENTS} agents")


def test_search_filter_sort_page_and_back(page, supervisor_user, directory_settings):
    open_directory(page, supervisor_user)
    expect(rows(page)).to_have_count(25)
    expect(page.locator("#sync-age")).to_contain_text("synced")
    assert_accessible(page)
    screenshot(page, "agent-directory")

    # Search as you type: the table region swaps, the URL follows.
    page.get_by_label("Search").press_sequentially("vijay", delay=30)
    page.wait_for_url(re.compile(r"q=vijay"))
    expect(rows(page).first).to_contain_text("vijay")
    searched = page.url
    assert_accessible(page)

    # A filter on top keeps the search.
    page.get_by_label("Status").select_option("inactive")
    page.wait_for_url(re.compile(r"status=inactive"))
    assert "q=vijay" in page.url
    for text in rows(page).all_inner_texts():
        assert "Inactive" in text

    # Back restores the search-only view, form included.
    page.go_back()
    page.wait_for_url(searched)
    expect(page.get_by_label("Status")).to_have_value("")
    expect(page.get_by_label("Search")).to_have_value("vijay")

    # Sort by name, descending on the second click.
    page.goto("/agents/")
    page.locator("th.col-name a").click()
    page.wait_for_url(re.compile(r"sort=name"))
    expect(page.locator("th.col-name")).to_have_attribute("aria-sort", "ascending")
    page.locator("th.col-name a").click()
    page.wait_for_url(re.compile(r"sort=-name"))
    expect(page.locator("th.col-name")).to_have_attribute("aria-sort", "descending")
    first_descending = rows(page).first.get_attribute("data-agent-id")

    # Paging keeps the sort; a new search keeps it too.
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"sort=-name.*page=2|page=2.*sort=-name"))
    expect(page.locator("nav[aria-label=Pages] .active")).to_have_text("2")
    assert rows(page).first.get_attribute("data-agent-id") != first_descending
    assert_accessible(page)
    page.go_back()
    page.wait_for_url(re.compile(r"sort=-name$"))
    expect(rows(page).first).to_have_attribute("data-agent-id", first_descending)
    page.get_by_label("Search").fill("a")
    page.wait_for_url(re.compile(r"q=a"))
    assert "sort=-name" in page.url
    assert page.console_errors == []


def test_no_match_offers_to_clear_filters(page, supervisor_user, directory_settings):
    open_directory(page, supervisor_user)
    page.get_by_label("Search").fill("zzz-no-such-agent")
    expect(page.get_by_text("No agents match these filters")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Clear filters").click()
    expect(rows(page)).to_have_count(25)


def test_detail_panel_opens_from_a_row_and_has_its_own_url(
    page, supervisor_user, directory_settings
):
    open_directory(page, supervisor_user)
    page.get_by_label("Search").fill("vijay.k@sarv.com")
    expect(rows(page)).to_have_count(1)
    page.get_by_role("link", name="vijay developer").click()
    panel = page.locator("#agent-detail-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name=re.compile("vijay developer"))).to_be_visible()
    expect(panel).to_contain_text("Mahipal singh")
    expect(panel).to_contain_text("Mon–Sat 00:00–23:00")
    page.wait_for_url(re.compile(r"/agents/4/$"))
    assert_accessible(page)
    # Its own URL gives the full page.
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("vijay developer"))).to_be_visible()
    expect(page.get_by_role("link", name="Agents").first).to_be_visible()
    assert_accessible(page)
    assert page.console_errors == []


def test_export_link_downloads_the_filtered_csv(
    page, supervisor_user, directory_settings, tmp_path
):
    open_directory(page, supervisor_user)
    page.get_by_label("Search").fill("vijay")
    page.wait_for_url(re.compile(r"q=vijay"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "agents.csv"
    download_info.value.save_as(path)
    with path.open(encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines[0][:3] == ["agent_id", "name", "email"]
    assert lines[1:] and all("vijay" in (r[1] + r[2]).lower() for r in lines[1:])
