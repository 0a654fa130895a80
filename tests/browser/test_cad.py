"""Bulk CAD in the browser: select, confirm, watch the job run, see failures, retry; and a
supervisor is refused."""

import json
import re
import threading
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from agents.models import Agent, CadJob
from agents.services import agent_sync
from tests.fixtures.browser import assert_accessible, login, readme_screenshot
from tests.fixtures.workers import one_cad_job_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def directory(sandbox_settings, settings):
    settings.DEEPCALL_SYNC_TTL = 10**9  # no background refresh while the test clicks
    settings.TASKS = IMMEDIATE
    assert agent_sync(trigger="command").outcome == "succeeded"
    return sandbox_settings


def selected_count(page):
    return page.locator("#selection-count")


def test_selection_survives_paging_and_filters_until_cleared(page, admin_user, directory):
    login(page, admin_user)
    page.goto("/agents/")
    for name in ["bhawesh", "vijay developer", "Brijendra"]:
        page.get_by_role("checkbox", name=f"Select {name}").first.check()
    expect(selected_count(page)).to_have_text("3 selected")

    page.get_by_role("link", name="Page 2").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(selected_count(page)).to_have_text("3 selected")
    page.go_back()
    expect(page.get_by_role("checkbox", name="Select Brijendra")).to_be_checked()

    page.get_by_label("Search").fill("sarv")
    expect(page.get_by_role("checkbox", name="Select Brijendra")).to_be_visible()
    expect(selected_count(page)).to_have_text("3 selected")
    assert_accessible(page)

    page.get_by_role("button", name="Clear selection").click()
    expect(selected_count(page)).to_have_text("0 selected")
    expect(page.get_by_role("checkbox", name="Select Brijendra")).not_to_be_checked()


def test_select_a_page_then_all_matching_and_enable_cad(page, admin_user, directory):
    login(page, admin_user)
    page.goto("/agents/?status=active")
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(selected_count(page)).to_have_text("25 selected")
    readme_screenshot(page, "agent-directory")  # an admin selecting agents for a CAD change

    matching = Agent.objects.filter(is_active=True).count()
    page.get_by_role("button", name=f"Select all {matching} matching agents").click()
    expect(selected_count(page)).to_have_text(f"{matching} selected (all matching a filter)")
    page.get_by_role("link", name="Page 3").click()
    expect(page.get_by_role("checkbox", name=re.compile("^Select ")).nth(1)).to_be_checked()

    page.get_by_role("button", name="Enable CAD").click()
    expect(page.get_by_role("heading", name=f"Enable CAD for {matching} agents?")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"and {matching - 10} more"))).to_be_visible()
    expect(page.get_by_text(re.compile("Selected: all agents matching .*active"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Confirm: Enable CAD for {matching} agents").click()

    expect(page.get_by_text(f"{matching} of {matching} done")).to_be_visible()
    expect(page.locator(".job-status")).to_have_text("Succeeded")
    assert len(directory.cad_on) == matching


def test_select_page_and_all_matching_at_once_always_ends_all_matching(page, admin_user, directory):
    login(page, admin_user)
    page.goto("/agents/?status=active")
    matching = Agent.objects.filter(is_active=True).count()
    for _ in range(6):
        # Both at once, no waiting in between: the page's ticks are still on their way (or not
        # even sent) when "all matching" is clicked.
        page.get_by_role("checkbox", name="Select all on this page").check()
        page.get_by_role("button", name=f"Select all {matching} matching agents").click()
        expect(selected_count(page)).to_have_text(f"{matching} selected (all matching a filter)")
        page.reload()  # what is stored, not only what the last answer drew
        expect(selected_count(page)).to_have_text(f"{matching} selected (all matching a filter)")
        page.get_by_role("button", name="Clear selection").click()
        expect(selected_count(page)).to_have_text("0 selected")
        expect(page.get_by_role("checkbox", name="Select all on this page")).not_to_be_checked()


@contextmanager
def cad_calls_held(sandbox, monkeypatch, **faults):
    """Each setCad/unsetCad call the sandbox receives waits until the test lets one through
    (`release()`), so the job is seen running for as long as the test looks, however fast or
    slow the machine; on leaving, calls pass again. `faults`: the sandbox's other faults."""
    permits, opened = threading.Semaphore(0), threading.Event()
    real_sleep = sandbox.state.sleep

    def held(seconds: float) -> None:
        # Only the CAD actions carry the token latency set below; a guard, never forever,
        # should the test fail before it lets the calls go.
        if seconds > 0 and not opened.is_set():
            permits.acquire(timeout=120)
        real_sleep(0)

    monkeypatch.setattr(sandbox.state, "sleep", held)
    sandbox.set_faults(latency_ms=1, actions=["setCad", "unsetCad"], **faults)
    try:
        yield permits.release
    finally:
        opened.set()
        permits.release(10)


def test_watch_a_job_run_see_a_failure_and_retry_it(
    page, admin_user, directory, settings, monkeypatch
):
    settings.TASKS = DATABASE_QUEUE  # a real queue; the thread below is its worker
    settings.DEEPCALL_CAD_BATCH_SIZE = 2
    settings.DEEPCALL_CAD_CONCURRENCY = 1
    login(page, admin_user)
    page.goto("/agents/")
    for agent_id in ["2", "3", "4", "5", "6", "8"]:
        page.locator(f'input[name="agent_id"][value="{agent_id}"]').check()
    expect(selected_count(page)).to_have_text("6 selected")
    page.get_by_role("button", name="Enable CAD").click()

    held = cad_calls_held(directory, monkeypatch, cad_failures={"5": "Agent is on a call"})
    with one_cad_job_worker("browser-test-worker"), held as release:
        page.get_by_role("button", name="Confirm: Enable CAD for 6 agents").click()
        # The page shows the job while it runs (its first batch held), then its progress.
        expect(page.locator(".job-status")).to_have_text("Running")
        progress = page.get_by_role("progressbar", name="Agents done")
        expect(progress).to_have_attribute("aria-valuenow", "0")
        release()  # the first batch of two
        expect(progress).to_have_attribute("aria-valuenow", "2")
        expect(page.locator(".job-status")).to_have_text("Running")
        release()
        release()
        expect(page.locator(".job-status")).to_have_text("Finished with failures")
    expect(page.get_by_text("6 of 6 done · 5 succeeded · 1 failed")).to_be_visible()
    failed_row = page.get_by_role("row", name=re.compile("Brijendra"))
    expect(failed_row).to_contain_text("Failed")
    expect(failed_row).to_contain_text("Agent is on a call")
    assert_accessible(page)
    readme_screenshot(page, "cad-job")

    directory.set_faults()
    settings.TASKS = IMMEDIATE
    page.get_by_role("button", name="Retry failed").click()
    expect(page.get_by_role("heading", name="Enable CAD for 1 agent")).to_be_visible()
    expect(page.locator(".job-status")).to_have_text("Succeeded")
    assert directory.cad_on == {"2", "3", "4", "5", "6", "8"}


def test_a_supervisor_sees_no_cad_controls_and_is_refused(page, supervisor_user, directory):
    login(page, supervisor_user)
    page.goto("/agents/")
    expect(page.get_by_role("cell", name="bhawesh").first).to_be_visible()
    expect(page.get_by_role("button", name="Enable CAD")).to_have_count(0)
    expect(page.get_by_role("checkbox", name=re.compile("^Select "))).to_have_count(0)
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
    response = page.request.post(
        "/cad/start/",
        form={"action": "enable", "agent_ids": '["2"]', "idempotency_key": "b" * 32},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert response.status == 403
    assert CadJob.objects.count() == 0
