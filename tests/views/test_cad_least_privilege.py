"""Supervisors (no `view_cadjob`) see each agent's CAD state as set here, but not the jobs
behind it: no job links, no admin names, no DeepCall messages; in the directory's CAD column,
the agent's panel (page and htmx partial) and its CAD history. Managers see them all."""

import re

import pytest

from agents.models import CadResult
from tests.views.test_cad_ledger import agent_row, agents, finished_job, set_on  # noqa: F401

DEEPCALL_MESSAGE = "Agent is on a live call"


@pytest.fixture
def history(agents, admin_user):  # noqa: F811
    """Agent 1: set on by a job, then a later job failed for it with DeepCall's message."""
    job = finished_job(admin_user, [("1", "unknown")])
    set_on(["1"], admin_user, job=job)
    failed = finished_job(admin_user, [("1", "on")], action="disable")
    CadResult.objects.filter(job=failed).update(outcome="failed", message=DEEPCALL_MESSAGE)
    return job, failed


def panel(client, *, partial: bool) -> str:
    headers = {"HX-Request": "true"} if partial else {}
    page = client.get("/agents/1/", headers=headers).content.decode()
    return page.split('id="agent-cad-state"')[1].split("Permanent link")[0]


def cad_cell(client) -> str:
    row = agent_row(client.get("/agents/").content.decode(), "1")
    return row.split('<td class="col-cad">')[1].split("</td>")[0]


@pytest.mark.parametrize("partial", [False, True], ids=["page", "htmx"])
def test_a_supervisor_sees_the_state_and_history_but_not_the_jobs_behind_them(
    supervisor_client, admin_user, history, partial
):
    cad = panel(supervisor_client, partial=partial)
    assert "On · set just now" in cad
    assert "Enable CAD" in cad and "Disable CAD" in cad and "Failed" in cad  # the history
    assert admin_user.username not in cad
    assert "/cad/" not in cad
    assert DEEPCALL_MESSAGE not in cad


@pytest.mark.parametrize("partial", [False, True], ids=["page", "htmx"])
def test_a_manager_sees_who_set_it_in_which_job_and_what_deepcall_said(
    manager_client, admin_user, history, partial
):
    job, failed = history
    cad = panel(manager_client, partial=partial)
    assert "On · set just now" in cad
    assert f"by {admin_user.username}" in cad
    assert f'href="/cad/{job.public_id}/"' in cad
    assert f'href="/cad/{failed.public_id}/"' in cad
    assert DEEPCALL_MESSAGE in cad


def test_the_directory_cad_column_names_the_admin_only_to_those_who_may_read_jobs(
    client, supervisor_user, manager_user, admin_user, history
):
    client.force_login(supervisor_user)
    supervisor_cell = cad_cell(client)
    assert "On · set just now" in supervisor_cell
    assert re.search(r'title="As set here on \d', supervisor_cell)
    assert admin_user.username not in supervisor_cell
    client.force_login(manager_user)
    assert f"As set here by {admin_user.username} on" in cad_cell(client)
