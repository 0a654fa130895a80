"""The group filter as a searchable multi-select (Tom Select), the plain form without
JavaScript, clean links, small screens ("Filters (n)", a table that scrolls in its own region
with its first column in view) and the home page that updates itself during the first load."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from django.http import QueryDict
from django.utils import timezone
from playwright.sync_api import expect

from agents.liststate import DirectoryState
from agents.models import Agent, SyncRun
from agents.services import cad_jobs as cad_service
from tests.browser.test_cad import DATABASE_QUEUE
from tests.fixtures.browser import assert_accessible, login, new_page
from tests.fixtures.workers import one_cad_job_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BILLING, NIGHT_SHIFT = "34", "38"  # sandbox groups with one name each


def rows(page):
    return page.locator("#agent-table tbody tr")


def agents_in_groups(*group_ids: str) -> set[str]:
    return set(
        Agent.objects.filter(groups__group_id__in=group_ids).values_list("agent_id", flat=True)
    )


def groups_are(*group_ids: str):
    """A URL predicate: the query string's groups are these."""
    return lambda url: parse_qs(urlsplit(url).query).get("group", []) == list(group_ids)


def test_group_filter_is_searchable_and_chosen_by_keyboard(page, supervisor_user, synced_sandbox):
    login(page, supervisor_user)
    page.goto("/agents/")
    groups = page.get_by_role("combobox", name="Groups")
    groups.focus()
    page.keyboard.type("bill", delay=30)
    expect(page.get_by_role("option", name="Billing (#34)")).to_be_visible()
    expect(page.get_by_role("option", name=re.compile("Sales"))).to_have_count(0)
    assert_accessible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(groups_are(BILLING))

    page.keyboard.type("night", delay=30)
    # Enter picks the first option left once the search has narrowed the list.
    expect(page.get_by_role("option", name=re.compile("Collections"))).to_have_count(0)
    expect(page.get_by_role("option", name="Night Shift (#38)")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(groups_are(BILLING, NIGHT_SHIFT))
    expect(groups).to_be_focused()
    expected = agents_in_groups(BILLING, NIGHT_SHIFT)
    expect(page.locator("#agent-count")).to_contain_text(f"{len(expected)} of")
    shown = {row.get_attribute("data-agent-id") for row in rows(page).all()}
    assert shown and shown <= expected

    # Backspace in the empty search removes the last group chosen.
    page.keyboard.press("Escape")
    page.keyboard.press("Backspace")
    page.wait_for_url(groups_are(BILLING))
    assert_accessible(page)
    assert page.console_errors == []


def test_without_javascript_the_plain_form_filters(
    browser, live_server, supervisor_user, synced_sandbox
):
    page = new_page(browser, live_server, width=390, java_script_enabled=False)
    login(page, supervisor_user)
    page.goto("/agents/")
    # No Tom Select: the plain multi-select, open (not folded) even on a phone.
    expect(page.locator(".ts-wrapper")).to_have_count(0)
    groups = page.get_by_label("Groups")
    expect(groups).to_be_visible()
    groups.select_option([BILLING, NIGHT_SHIFT])
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Apply filters").click()
    # The form sent every field; the server answered with the clean URL.
    page.wait_for_url(re.compile(rf"/agents/\?group={BILLING}&group={NIGHT_SHIFT}&status=active$"))
    expected = set(
        Agent.objects.filter(
            groups__group_id__in=[BILLING, NIGHT_SHIFT], is_active=True
        ).values_list("agent_id", flat=True)
    )
    shown = {row.get_attribute("data-agent-id") for row in rows(page).all()}
    assert shown and shown <= expected
    expect(page.get_by_text("Filters (2)")).to_be_visible()
    page.context.close()


def assert_clean(url: str, *, key_order: list[str], defaults: dict[str, str]) -> None:
    """Only values that differ from the defaults, keys in the one order every link uses."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    for key, value in pairs:
        assert value.strip(), f"{url}: empty {key}"
        assert defaults.get(key) != value, f"{url}: default {key}={value}"
    rank = [key_order.index(key) for key, _ in pairs if key in key_order]
    assert rank == sorted(rank), f"{url}: keys out of order"


def test_every_pushed_url_and_link_is_clean_and_in_one_order(page, admin_user, synced_sandbox):
    login(page, admin_user)
    page.goto("/agents/")
    page.get_by_label("Search").press_sequentially("a", delay=30)
    page.wait_for_url(re.compile(r"/agents/\?q=a$"))
    page.get_by_label("Status").select_option("active")
    page.wait_for_url(re.compile(r"/agents/\?q=a&status=active$"))
    page.get_by_label("Rows").select_option("50")
    page.wait_for_url(re.compile(r"/agents/\?q=a&status=active&per_page=50$"))
    page.locator("th.col-name a").click()
    page.wait_for_url(re.compile(r"/agents/\?q=a&status=active&sort=name&per_page=50$"))
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"/agents/\?q=a&status=active&sort=name&page=2&per_page=50$"))
    # Back to the default page size (the form starts again at page 1): both leave the URL.
    page.get_by_label("Rows").select_option("25")
    page.wait_for_url(re.compile(r"/agents/\?q=a&status=active&sort=name$"))

    state = DirectoryState(QueryDict())
    key_order = [*state.filterset.form.fields, *state.display]
    links = page.eval_on_selector_all(
        "[href*='?'], [hx-get*='?']",
        "els => els.map(e => e.getAttribute('hx-get') || e.getAttribute('href'))",
    )
    assert len(links) > 10
    for link in links:
        assert_clean(link, key_order=key_order, defaults=state.defaults)
    here = page.url
    page.reload()
    assert page.url == here

    # The CAD job list's filters push clean URLs too.
    cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=["2"],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    page.goto("/cad/")
    page.get_by_label("Action").select_option("enable")
    page.wait_for_url(re.compile(r"/cad/\?action=enable$"))
    assert page.console_errors == []


# Each page with a filter bar, opened with filters in force: (address, how many, a field of the
# form, how to set one more filter there).
FILTERED_PAGES = {
    "directory": (f"/agents/?group={BILLING}&status=active", 2, "Search", ("Role", 1)),
    "schedules": (f"/schedules/?group={BILLING}&status=active", 2, "Search", ("Role", 1)),
    "changes": ("/changes/?kind=added&date_from=2026-01-01", 2, "Agent", ("Group", 1)),
    "cad-jobs": ("/cad/?action=enable", 1, "Action", ("Started by", 1)),
}


@pytest.mark.parametrize("width", [768, 390])
def test_small_screens_fold_the_filters_behind_their_count_and_the_nav_on_every_filtered_page(
    browser, live_server, admin_user, synced_sandbox, width
):
    job, _ = cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=["2", "3"],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    page = new_page(browser, live_server, width=width)
    login(page, admin_user)
    for name, (url, count, field, (more, option)) in FILTERED_PAGES.items():
        page.goto(url)
        toggle = page.locator("details.filter-toggle > summary")
        expect(toggle).to_have_text(f"Filters ({count})")
        expect(page.get_by_label(field, exact=True)).to_be_hidden()
        toggle.click()
        expect(page.get_by_label(field, exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
        assert_no_sideways_scroll(page, f"{name}, filters open")
        page.get_by_label(more, exact=True).select_option(index=option)
        expect(toggle).to_have_text(f"Filters ({count + 1})")
        toggle.click()
        expect(page.get_by_label(field, exact=True)).to_be_hidden()
        assert_nav_folds(page, name)

    # A CAD job's results are filtered by outcome: every choice in view, none cut off.
    page.goto(f"/cad/{job.public_id}/")
    outcomes = page.get_by_role("navigation", name="Filter results by outcome").get_by_role("link")
    expect(outcomes).to_have_count(5)
    for i in range(5):
        box = outcomes.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, outcomes.nth(i).inner_text()
    outcomes.filter(has_text="Skipped").click()
    expect(page).to_have_url(re.compile(r"outcome=skipped"))
    assert_no_sideways_scroll(page, "cad-job")
    assert_nav_folds(page, "cad-job")
    assert page.console_errors == []
    page.context.close()


def assert_nav_folds(page, name: str) -> None:
    """The nav is folded behind its toggle, opens and folds again."""
    nav_toggle = page.get_by_role("button", name="Toggle navigation")
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    nav_toggle.click()
    expect(nav.get_by_role("link", name="Schedules")).to_be_visible()
    expect(nav_toggle).to_have_attribute("aria-expanded", "true")
    assert_no_sideways_scroll(page, f"{name}, nav open")
    # Bootstrap ignores a click while the nav is still sliding open.
    expect(nav).not_to_have_class(re.compile(r"\bcollapsing\b"))
    nav_toggle.click()
    expect(nav).to_be_hidden()


def assert_no_sideways_scroll(page, name: str) -> None:
    overflow = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px"


def test_home_page_updates_itself_during_the_first_load(
    page, supervisor_user, sandbox_settings, settings
):
    settings.TASKS = DATABASE_QUEUE  # the first sync waits for the worker below
    login(page, supervisor_user)
    page.goto("/")
    expect(page.get_by_text("Loading agents from DeepCall for the first time")).to_be_visible()
    expect(page.locator("#home-sync-age")).to_contain_text("Agents not loaded yet")
    assert_accessible(page)
    page.evaluate("() => { window.notReloaded = true; }")

    with one_cad_job_worker("browser-test-worker"):
        expect(page.locator("#home-sync-age")).to_contain_text("synced", timeout=20_000)
    total = Agent.objects.count()
    expect(page.locator(".stat-value").first).to_have_text(f"{total:,}")
    expect(page.get_by_text("Loading agents from DeepCall for the first time")).to_have_count(0)
    # The same page, updated in place; it keeps polling (slower) so the age stays true.
    assert page.evaluate("() => window.notReloaded") is True
    expect(page.locator("#home-live")).to_have_attribute("hx-trigger", "every 30s")
    assert page.console_errors == []


def _sync_finished_ago(seconds: int) -> None:
    """The server's view of time passing: the last good sync finished that long ago."""
    finished = timezone.now() - timedelta(seconds=seconds)
    SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED).update(finished_at=finished)


def test_home_page_sync_age_moves_on_without_a_reload(page, supervisor_user, synced_sandbox):
    # The browser's clock is ours to move, so the page's 30 s poll comes due without a wait.
    page.clock.install()
    login(page, supervisor_user)
    _sync_finished_ago(40)
    page.goto("/")
    age = page.locator("#home-sync-age")
    expect(age).to_contain_text(re.compile(r"Agent data synced 4\d s ago"))
    page.evaluate("() => { window.notReloaded = true; }")

    _sync_finished_ago(3 * 60)
    page.clock.fast_forward("00:31")
    expect(age).to_contain_text("Agent data synced 3 min ago")
    assert page.evaluate("() => window.notReloaded") is True
    assert page.console_errors == []
