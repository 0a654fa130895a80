"""The pages of the CAD ledger: the two confirmations (skip what is already on, exact undo),
the known state on the detail panel and the home page, and who may do what."""

import re

import pytest
from django.utils import timezone

from agents.models import Agent, CadJob, CadResult, CadState
from agents.services import cad as cad_service
from tests.fixtures.agents import create_agents

QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def agents(db, settings):
    settings.TASKS = QUEUED
    settings.DEEPCALL_SYNC_TTL = 10**9  # the pages must not queue a sync from DeepCall
    create_agents(range(1, 21), name="Agent {n:03}")


def set_on(ids, user, job=None):
    now = timezone.now()
    CadState.objects.bulk_create(
        CadState(agent_id=i, state="on", set_at=now, set_by=user, job=job) for i in ids
    )


def finished_job(user, results, *, action="enable"):
    """A finished job whose agents succeeded, each with the state it had before."""
    job = CadJob.objects.create(
        idempotency_key=cad_service.new_idempotency_key(),
        action=action,
        created_by=user,
        agent_ids=[agent_id for agent_id, _ in results],
        total=len(results),
        succeeded=len(results),
        status=CadJob.Status.SUCCEEDED,
    )
    CadResult.objects.bulk_create(
        CadResult(
            job=job,
            agent_id=agent_id,
            agent_name=f"Agent {int(agent_id):03}",
            outcome="succeeded",
            state_before=before,
        )
        for agent_id, before in results
    )
    return job


def hidden_fields(body: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(html: str) -> str:
    """What a reader sees of some HTML: its text, tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


# --- Enable: skip what is already on --------------------------------------------------------------


def test_enable_offers_to_send_only_to_the_agents_not_known_to_be_on(
    admin_client, admin_user, agents
):
    set_on(["1", "2", "3"], admin_user)
    admin_client.post("/cad/selection/", {"op": "update", "add": "1,2,3,4,5", "query": ""})
    page = text(admin_client.post("/cad/confirm/", {"action": "enable", "query": ""}))
    assert "Enable CAD for 5 agents?" in page
    assert "3 of them are already on, as set here" in page
    assert "Send only to the other 2 agents; the job lists the 3 skipped" in page
    assert 'value="skip" id="already-skip" form="cad-start-form" checked' in page
    assert "Send to all 5 agents" in page

    form = hidden_fields(page)
    admin_client.post("/cad/start/", {**form, "already_set": "skip"})
    job = CadJob.objects.get()
    assert (sorted(job.agent_ids), job.skipped, job.total) == (["4", "5"], 3, 5)
    skipped = job.results.filter(outcome="skipped").values_list("agent_id", flat=True)
    assert sorted(skipped) == ["1", "2", "3"]
    detail = text(admin_client.get(f"/cad/{job.public_id}/?outcome=skipped"))
    assert "3 skipped (already on, as set here)" in detail
    assert "Already on, as set here on" in detail


def test_enable_can_send_to_all_even_those_known_to_be_on(admin_client, admin_user, agents):
    set_on(["1"], admin_user)
    admin_client.post("/cad/selection/", {"op": "update", "add": "1,2", "query": ""})
    form = hidden_fields(admin_client.post("/cad/confirm/", {"action": "enable"}).content.decode())
    admin_client.post("/cad/start/", {**form, "already_set": "send"})
    job = CadJob.objects.get()
    assert (sorted(job.agent_ids), job.skipped) == (["1", "2"], 0)


def test_without_agents_known_to_be_on_there_is_no_choice_to_make(admin_client, agents):
    admin_client.post("/cad/selection/", {"op": "update", "add": "1,2", "query": ""})
    page = text(admin_client.post("/cad/confirm/", {"action": "enable"}))
    assert "already on" not in page and 'name="already_set"' not in page


# --- Undo: the confirmation ----------------------------------------------------------------------


def test_the_undo_confirmation_counts_what_each_choice_touches(admin_client, admin_user, agents):
    job = finished_job(
        admin_user,
        [("1", "off"), ("2", "off"), ("3", "on"), ("4", "unknown"), ("5", ""), ("6", "unknown")],
    )
    page = text(admin_client.get(f"/cad/{job.public_id}/undo/"))
    plan = words(page.split('id="undo-plan"')[1].split("</ul>")[0])
    assert "2 agents go back to off: off before this job, as set here." in plan
    assert "1 agent stays on: already on before this job, as set here." in plan
    assert "3 agents: state before not known." in plan
    unknown = page.split('id="unknown-agents"')[1].split("</ul>")[0]
    assert unknown.count("state before not known") == 3
    assert "Agent 004" in unknown and "Agent 003" not in unknown
    assert "Switch them off too: undo touches 5 agents" in page
    assert "Leave them on: undo touches 2 agents" in page

    key = cad_service.new_idempotency_key()
    response = admin_client.post(
        f"/cad/{job.public_id}/undo/", {"idempotency_key": key, "unknown": "leave"}
    )
    undo = CadJob.objects.get(kind="undo")
    assert response["Location"] == f"/cad/{undo.public_id}/"
    assert (undo.action, sorted(undo.agent_ids)) == ("disable", ["1", "2"])


def test_undo_can_switch_back_the_agents_whose_state_before_is_unknown(
    admin_client, admin_user, agents
):
    job = finished_job(admin_user, [("1", "off"), ("3", "on"), ("4", "unknown")])
    admin_client.post(
        f"/cad/{job.public_id}/undo/",
        {"idempotency_key": cad_service.new_idempotency_key(), "unknown": "revert"},
    )
    undo = CadJob.objects.get(kind="undo")
    assert sorted(undo.agent_ids) == ["1", "4"]


def test_an_undo_with_nothing_to_do_says_why(admin_client, admin_user, agents):
    job = finished_job(admin_user, [("3", "on")])
    response = admin_client.post(
        f"/cad/{job.public_id}/undo/",
        {"idempotency_key": cad_service.new_idempotency_key()},
        follow=True,
    )
    assert "were already on before it, as set here" in text(response)
    assert not CadJob.objects.filter(kind="undo").exists()


def test_a_tampered_undo_form_gets_a_message_not_a_job(admin_client, admin_user, agents):
    job = finished_job(admin_user, [("1", "off")])
    response = admin_client.post(
        f"/cad/{job.public_id}/undo/", {"idempotency_key": "x", "unknown": "maybe"}, follow=True
    )
    assert response.status_code == 200
    assert "That form was out of date" in text(response)
    assert not CadJob.objects.filter(kind="undo").exists()


def test_only_admins_see_the_undo_confirmation(
    supervisor_client, manager_user, admin_user, agents, client
):
    job = finished_job(admin_user, [("1", "off")])
    assert supervisor_client.get(f"/cad/{job.public_id}/undo/").status_code == 403
    client.force_login(manager_user)
    assert client.get(f"/cad/{job.public_id}/undo/").status_code == 403


def test_the_job_page_links_to_the_undo_confirmation(admin_client, admin_user, agents):
    job = finished_job(admin_user, [("1", "off")])
    page = admin_client.get(f"/cad/{job.public_id}/").content.decode()
    assert f'href="/cad/{job.public_id}/undo/">Undo…</a>' in page


# --- the known state, where people look ---------------------------------------------------------


def test_the_detail_panel_shows_the_state_as_set_here_above_the_history(
    supervisor_client, admin_user, agents
):
    job = finished_job(admin_user, [("1", "unknown")])
    set_on(["1"], admin_user, job=job)
    page = text(supervisor_client.get("/agents/1/"))
    state = page.split('id="agent-cad-state"')[1].split("</p>")[0]
    assert "On · set just now" in state and f"by {admin_user}" in state
    assert page.index('id="agent-cad-state"') < page.index("CAD history from this dashboard")
    assert "Not set here" in text(supervisor_client.get("/agents/2/"))


def test_the_home_page_counts_agents_with_cad_on_as_set_here(supervisor_client, admin_user, agents):
    set_on(["1", "2", "3"], admin_user)
    set_on(["gone"], admin_user)  # not in the directory (deleted in DeepCall): not counted
    CadState.objects.filter(agent_id="3").update(state="off")
    page = text(supervisor_client.get("/"))
    card = page.split('id="home-cad-on"')[1].split("</div>")[0]
    assert "CAD on, as set here" in card and ">2<" in card


def test_a_pending_deletion_badge_on_the_detail_panel(supervisor_client, agents):
    Agent.objects.filter(agent_id="7").update(pending_deletion=True)
    assert "Pending deletion" in text(supervisor_client.get("/agents/7/"))
    assert "Pending deletion" not in text(supervisor_client.get("/agents/8/"))
