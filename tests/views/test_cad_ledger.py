"""The pages of the CAD ledger: the two confirmations (skip what is already on, exact undo),
the known state on the detail panel and the home page, and who may do what."""

import csv
import html
import io
import re

import pytest
from django.utils import timezone

from agents.models import Agent, CadJob, CadResult, CadState
from agents.services import cad_jobs as cad_service
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
    """The hidden fields as a browser posts them (their values unescaped)."""
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body)
    return {name: html.unescape(value) for name, value in fields}


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
    admin_client.post(
        "/cad/selection/", {"op": "update", "add": '["1", "2", "3", "4", "5"]', "query": ""}
    )
    page = text(admin_client.post("/cad/confirm/", {"action": "enable", "query": ""}))
    assert "Enable CAD for 5 agents?" in page
    assert "3 of them are already on, as set here" in page
    assert "Send only to the other 2 agents; the job lists the 3 skipped" in page
    assert re.search(r'name="already_set" value="skip"[^>]* checked', page)  # the default
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
    admin_client.post("/cad/selection/", {"op": "update", "add": '["1", "2"]', "query": ""})
    form = hidden_fields(admin_client.post("/cad/confirm/", {"action": "enable"}).content.decode())
    admin_client.post("/cad/start/", {**form, "already_set": "send"})
    job = CadJob.objects.get()
    assert (sorted(job.agent_ids), job.skipped) == (["1", "2"], 0)


def test_without_agents_known_to_be_on_there_is_no_choice_to_make(admin_client, agents):
    admin_client.post("/cad/selection/", {"op": "update", "add": '["1", "2"]', "query": ""})
    page = text(admin_client.post("/cad/confirm/", {"action": "enable"}))
    assert "Confirm: Enable CAD for 2 agents" in page
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
    manager_client, admin_user, agents
):
    job = finished_job(admin_user, [("1", "unknown")])
    set_on(["1"], admin_user, job=job)
    page = text(manager_client.get("/agents/1/"))
    state = page.split('id="agent-cad-state"')[1].split("</p>")[0]
    assert "On · set just now" in state and f"by {admin_user}" in state
    assert page.index('id="agent-cad-state"') < page.index("CAD history from this dashboard")
    assert "Not set here" in text(manager_client.get("/agents/2/"))


def test_the_home_page_counts_agents_with_cad_on_as_set_here(supervisor_client, admin_user, agents):
    set_on(["1", "2", "3"], admin_user)
    set_on(["gone"], admin_user)  # not in the directory (deleted in DeepCall): not counted
    CadState.objects.filter(agent_id="3").update(state="off")
    page = text(supervisor_client.get("/"))
    card = page.split('id="home-cad-on"')[1].split("</a>")[0]
    assert "CAD on, as set here" in card and ">2<" in card


def test_a_pending_deletion_badge_on_the_detail_panel(supervisor_client, agents):
    Agent.objects.filter(agent_id="7").update(pending_deletion=True)
    assert "Pending deletion" in text(supervisor_client.get("/agents/7/"))
    assert "Pending deletion" not in text(supervisor_client.get("/agents/8/"))


# --- the directory: CAD and deletion filters, the column, the export ------------------------------


def agent_count(response) -> str:
    region = text(response).split('id="agent-count"')[1].split("</p>")[0]
    return words(region.split(">", 1)[1]).strip()


def listed_ids(response) -> list[str]:
    return re.findall(r'<tr data-agent-id="([^"]+)"', response.content.decode())


def agent_row(page: str, agent_id: str) -> str:
    """The table row of one agent, as HTML."""
    return re.split(rf'<tr data-agent-id="{re.escape(agent_id)}"[^>]*>', page)[1].split("</tr>")[0]


def test_the_cad_filter_selects_by_the_state_as_set_here(supervisor_client, admin_user, agents):
    set_on(["1", "2", "3"], admin_user)
    CadState.objects.filter(agent_id="3").update(state="off")

    on = supervisor_client.get("/agents/?cad=on")
    assert listed_ids(on) == ["1", "2"]
    assert "2 of 20 agents match CAD on, as set here" in agent_count(on)
    assert listed_ids(supervisor_client.get("/agents/?cad=off")) == ["3"]
    unknown = listed_ids(supervisor_client.get("/agents/?cad=unknown&per_page=100"))
    assert unknown == [str(n) for n in range(4, 21)]
    # Every link of the page keeps the filter: sorting, and the CSV export.
    page = on.content.decode()
    assert 'href="/agents/?cad=on&amp;sort=-id"' in page or "cad=on&amp;sort=" in page
    assert "/agents/export.csv?cad=on" in page


def test_the_cad_column_says_on_off_or_not_set_here(supervisor_client, admin_user, agents):
    set_on(["1", "2"], admin_user)
    CadState.objects.filter(agent_id="2").update(state="off")
    page = supervisor_client.get("/agents/").content.decode()

    def cell(agent_id):
        row = agent_row(page, agent_id)
        return words(row.split('<td class="col-cad">')[1].split("</td>")[0])

    assert (cell("1"), cell("2"), cell("3")) == (
        "On · set just now",
        "Off · set just now",
        "Not set here",
    )


def test_a_cad_count_follows_the_ledger_not_only_the_syncs(supervisor_client, admin_user, agents):
    set_on(["1"], admin_user)
    assert "1 of 20" in agent_count(supervisor_client.get("/agents/?cad=on"))
    set_on(["2", "3"], admin_user)  # a CAD job later; no sync in between
    assert "3 of 20" in agent_count(supervisor_client.get("/agents/?cad=on"))


def test_an_unknown_cad_value_is_ignored_with_a_notice(supervisor_client, agents):
    response = supervisor_client.get("/agents/?cad=maybe")
    assert response.status_code == 200
    assert "Ignored cad “maybe”" in text(response)
    assert len(listed_ids(response)) == 20


def test_select_all_matching_the_cad_filter_starts_a_job_for_exactly_those(
    admin_client, admin_user, agents
):
    set_on(["4", "5", "6"], admin_user)
    admin_client.post("/cad/selection/", {"op": "all_matching", "query": "cad=on"})
    confirm = text(admin_client.post("/cad/confirm/", {"action": "disable", "query": "cad=on"}))
    assert "Disable CAD for 3 agents?" in confirm
    assert "all agents matching CAD on, as set here" in confirm
    admin_client.post("/cad/start/", {**hidden_fields(confirm), "all_matching": "on"})
    job = CadJob.objects.get()
    assert (sorted(job.agent_ids), job.filter_query) == (["4", "5", "6"], "cad=on")


def test_the_export_carries_the_cad_state_and_the_filter(supervisor_client, admin_user, agents):
    set_on(["1", "2"], admin_user)
    Agent.objects.filter(agent_id="2").update(pending_deletion=True)
    response = supervisor_client.get("/agents/export.csv?cad=on")
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert header[-3:] == ["pending_deletion", "cad_as_set_here", "cad_set_at"]
    assert [(r[0], r[-3], r[-2]) for r in rows] == [("1", "no", "on"), ("2", "yes", "on")]
    assert rows[0][-1].startswith(str(timezone.now().year))


def test_pending_deletion_agents_carry_a_badge_and_have_their_filter(supervisor_client, agents):
    Agent.objects.filter(agent_id__in=["7", "9"]).update(pending_deletion=True)
    response = supervisor_client.get("/agents/?deletion=pending")
    assert listed_ids(response) == ["7", "9"]
    assert "2 of 20 agents match pending deletion" in agent_count(response)
    row = agent_row(response.content.decode(), "7")
    assert "Pending deletion" in row
    assert (
        "Pending deletion</span>"
        not in supervisor_client.get("/agents/?q=agent+008").content.decode().split("<tbody")[1]
    )
