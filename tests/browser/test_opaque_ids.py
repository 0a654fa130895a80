"""Agents whose ids hold a comma, a semicolon, a space, quotes, `<`, `&`, `/` or non-Latin
letters, synced from the sandbox: listed, each reaching its own detail, and one ticked alone is
the one id CAD is enabled for."""

import re

import pytest
from playwright.sync_api import expect

from agents.models import CadJob
from agents.services import agent_sync
from tests.fixtures.browser import login
from tests.fixtures.sandbox import ODD_AGENT_IDS, add_odd_agents, odd_agent_name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def odd_directory(sandbox_settings, settings):
    settings.DEEPCALL_SYNC_TTL = 10**9  # no background refresh while the test clicks
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    add_odd_agents(sandbox_settings)
    assert agent_sync(trigger="command").outcome == "succeeded"
    return sandbox_settings


def test_odd_ids_are_listed_open_their_own_detail_and_are_sent_alone(
    page, admin_user, odd_directory
):
    login(page, admin_user)
    page.goto("/agents/?q=Odd")
    rows = page.locator("tr[data-agent-id]")
    expect(rows).to_have_count(len(ODD_AGENT_IDS))
    listed = [rows.nth(i).get_attribute("data-agent-id") for i in range(len(ODD_AGENT_IDS))]
    assert sorted(listed) == sorted(ODD_AGENT_IDS)
    for agent_id in ODD_AGENT_IDS:
        expect(page.get_by_role("link", name=odd_agent_name(agent_id), exact=True)).to_be_visible()

    for agent_id in ["a/b", "1001,1002", "агент-7", "<b>&amp;"]:
        page.goto("/agents/?q=Odd")
        page.get_by_role("link", name=odd_agent_name(agent_id), exact=True).click()
        panel = page.locator("#agent-detail-body")
        expect(panel.locator("dl")).to_be_visible()
        expect(panel).to_contain_text(odd_agent_name(agent_id))
        # The address it pushed is the agent's own page too, loaded whole.
        page.reload()
        expect(page.locator("main")).to_contain_text(odd_agent_name(agent_id))

    page.goto("/agents/?q=Odd")
    name = odd_agent_name("1001,1002")
    page.get_by_role("checkbox", name=f"Select {name}", exact=True).check()
    expect(page.locator("#selection-count")).to_have_text("1 selected")
    page.get_by_role("button", name="Enable CAD").click()
    expect(page.get_by_role("heading", name="Enable CAD for 1 agent?")).to_be_visible()
    expect(page.get_by_text(name)).to_be_visible()
    page.get_by_role("button", name="Confirm: Enable CAD for 1 agent").click()

    expect(page.locator(".job-status")).to_have_text("Succeeded")
    expect(page.get_by_text(re.compile("1 of 1 done"))).to_be_visible()
    assert CadJob.objects.get().agent_ids == ["1001,1002"]
    # "1001" and "1002" are agents too: the id was sent whole and alone.
    assert odd_directory.cad_on == {"1001,1002"}
