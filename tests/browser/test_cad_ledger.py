"""The CAD ledger in the browser: enable for 10, enable for 100 that include them, undo the
second, and the 10 are still on, in the sandbox's state and in the directory's CAD column."""

import re

import pytest
from playwright.sync_api import expect

from agents.models import Agent
from agents.services import agent_sync
from tests.fixtures.browser import assert_accessible, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def directory(sandbox_settings, settings):
    settings.DEEPCALL_SYNC_TTL = 10**9  # no background refresh while the test clicks
    settings.TASKS = IMMEDIATE
    assert agent_sync(trigger="command").outcome == "succeeded"
    return sandbox_settings


def cad_cell(page, agent_id):
    return page.locator(f'tr[data-agent-id="{agent_id}"] td.col-cad')


def test_undoing_a_second_enable_leaves_the_first_ten_on(page, admin_user, directory):
    hundred = list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:100])
    ten = hundred[:10]
    login(page, admin_user)

    # Enable CAD for 10 agents ticked one by one.
    page.goto("/agents/?per_page=100")
    expect(cad_cell(page, ten[0])).to_have_text("Not set here")
    for ticked, agent_id in enumerate(ten, start=1):
        page.locator(f'input[name="agent_id"][value="{agent_id}"]').check()
        # One tick at a time, as a person would: each is saved before the next.
        expect(page.locator("#selection-count")).to_have_text(f"{ticked} selected")
    page.get_by_role("button", name="Enable CAD").click()
    page.get_by_role("button", name="Confirm: Enable CAD for 10 agents").click()
    expect(page.locator(".job-status")).to_have_text("Succeeded")
    assert directory.cad_on == set(ten)

    # Enable CAD for the page of 100, which includes those 10: sent to all of them.
    page.goto("/agents/?per_page=100")
    expect(cad_cell(page, ten[0])).to_contain_text("On · set")
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(page.locator("#selection-count")).to_have_text("100 selected")
    page.get_by_role("button", name="Enable CAD").click()
    expect(page.get_by_text("10 of them are already on, as set here")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Send to all 100 agents").check()
    page.get_by_role("button", name="Confirm: Enable CAD").click()
    expect(page.get_by_role("heading", name="Enable CAD for 100 agents")).to_be_visible()
    expect(page.locator(".job-status")).to_have_text("Succeeded")
    assert directory.cad_on == set(hundred)

    # Undo the second job: the 10 were on before it, the 90 were not known.
    page.get_by_role("link", name="Undo…").click()
    plan = page.locator("#undo-plan")
    expect(plan).to_contain_text("10 agents stay on: already on before this job, as set here.")
    expect(plan).to_contain_text("90 agents: state before not known.")
    expect(page.get_by_label("Switch them off too: undo touches 90 agents")).to_be_checked()
    expect(page.get_by_label("Leave them on: undo touches 0 agents")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "cad-undo-confirmation")
    page.get_by_role("button", name="Confirm: Disable CAD").click()
    expect(page.get_by_role("heading", name="Disable CAD for 90 agents")).to_be_visible()
    expect(page.locator(".job-status")).to_have_text("Succeeded")

    # The 10 are still on, in DeepCall (the sandbox) and in the directory's CAD column.
    assert directory.cad_on == set(ten)
    page.goto("/agents/?per_page=100")
    for agent_id in ten:
        expect(cad_cell(page, agent_id)).to_contain_text(re.compile(r"^On · set "))
    for agent_id in hundred[10:]:
        expect(cad_cell(page, agent_id)).to_contain_text(re.compile(r"^Off · set "))
    screenshot(page, "directory-cad-column")
    page.get_by_label("CAD").select_option("on")
    expect(page).to_have_url(re.compile(r"cad=on"))
    expect(page.locator("#agent-count")).to_contain_text("10 of ")
