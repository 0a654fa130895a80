"""The bulk-CAD pages: permissions enforced on every request, clear answers to bad input."""

import json
import re

import pytest
from django.utils import timezone

from agents.models import CadJob
from agents.services import cad_jobs as cad_service
from tests.fixtures.agents import create_agents

QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def agents(db, settings):
    settings.TASKS = QUEUED
    settings.DEEPCALL_SYNC_TTL = 10**9  # the pages must not queue a sync from DeepCall
    create_agents(range(1, 61), name="Agent {n:03}", active=lambda n: n <= 40)


def selection(client):
    from agents.models import CadSelection

    row = CadSelection.objects.filter(session_key=client.session.session_key).first()
    if row is None or (not row.agent_ids and row.all_matching_query is None):
        return {}
    return {"ids": row.agent_ids, "query": row.all_matching_query, "excluded": row.excluded_ids}


def test_ticking_rows_updates_the_server_side_selection(admin_client, agents):
    response = admin_client.post(
        "/cad/selection/",
        {"op": "update", "add": '["1", "2", "3"]', "query": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "3 selected" in response.content.decode()
    admin_client.post("/cad/selection/", {"op": "update", "remove": '["2"]', "query": ""})
    assert selection(admin_client)["ids"] == ["1", "3"]


def test_select_all_matching_keeps_the_filter_not_the_ids(admin_client, agents):
    response = admin_client.post(
        "/cad/selection/", {"op": "all_matching", "query": "status=active"}
    )
    body = response.content.decode()
    assert "40 selected (all matching a filter)" in body
    assert "cad-selection-changed" in response["HX-Trigger"]
    assert selection(admin_client) == {"ids": [], "query": "status=active", "excluded": []}
    # Unticking one row of it leaves the other 39.
    response = admin_client.post(
        "/cad/selection/", {"op": "update", "remove": '["5"]', "query": "status=active"}
    )
    assert "39 selected" in response.content.decode()


def test_the_directory_shows_the_bulk_bar_and_ticked_rows_to_admins(admin_client, agents):
    admin_client.post("/cad/selection/", {"op": "update", "add": '["2"]', "query": ""})
    body = admin_client.get("/agents/").content.decode()
    assert "1 selected" in body
    assert re.search(r'value="2" aria-label="Select Agent 002" form="bulk-form" checked', body)
    assert re.search(r'value="3" aria-label="Select Agent 003" form="bulk-form">', body)
    assert ">Enable CAD</button>" in body and ">Disable CAD</button>" in body
    assert "Select all 60 matching agents" in body


def test_supervisors_see_no_selection_and_no_cad_buttons(supervisor_client, agents):
    body = supervisor_client.get("/agents/").content.decode()
    # The page they came for is there, its agents and their CAD state included …
    assert "Agent 001" in body and "Agent 025" in body
    assert "Not set here" in body
    # … without anything to select them or change CAD with.
    assert "Enable CAD" not in body
    assert "Select all on this page" not in body
    assert 'name="agent_id"' not in body


@pytest.mark.parametrize("url", ["/cad/selection/", "/cad/confirm/", "/cad/start/"])
def test_supervisors_and_managers_are_refused_every_cad_change(
    supervisor_client, manager_user, agents, url, client
):
    assert supervisor_client.post(url, {"action": "enable"}).status_code == 403
    client.force_login(manager_user)
    assert client.post(url, {"action": "enable"}).status_code == 403


def test_managers_may_read_the_audit_log_but_not_retry_or_undo(manager_client, admin_user, agents):
    from django.test import Client

    job = a_job(admin_user, ids=("1", "2"))
    # Finished with one success and one failure: an admin is offered both Retry and Undo.
    CadJob.objects.filter(pk=job.pk).update(
        status=CadJob.Status.PARTIAL, succeeded=1, failed=1, finished_at=timezone.now()
    )
    admin = Client()
    admin.force_login(admin_user)
    admin_page = admin.get(f"/cad/{job.public_id}/").content.decode()
    undo_url = f"/cad/{job.public_id}/undo/"
    assert "Retry failed</button>" in admin_page and undo_url in admin_page

    assert manager_client.get("/cad/").status_code == 200
    page = manager_client.get(f"/cad/{job.public_id}/").content.decode()
    assert "Enable CAD for 2 agents" in page
    assert "Retry failed" not in page and undo_url not in page and "Undo" not in page


def test_confirmation_shows_how_many_which_and_the_filter(admin_client, agents):
    admin_client.post("/cad/selection/", {"op": "all_matching", "query": "status=active"})
    page = admin_client.post("/cad/confirm/", {"action": "enable", "query": "status=active"})
    body = page.content.decode()
    assert "Enable CAD for 40 agents?" in body
    assert "Agent 001, Agent 002" in body and "and 30 more" in body
    assert "all agents matching" in body and "active" in body
    assert "Confirm: Enable CAD for 40 agents" in body
    assert CadJob.objects.count() == 0  # nothing runs before the confirmation


def test_without_javascript_the_ticked_boxes_come_with_the_form(admin_client, agents):
    body = admin_client.post(
        "/cad/confirm/", {"action": "disable", "agent_id": ["7", "8"]}
    ).content.decode()
    assert "Disable CAD for 2 agents?" in body
    assert 'name="agent_ids" value="[&quot;7&quot;, &quot;8&quot;]"' in body


def test_confirming_starts_one_job_even_when_posted_twice(admin_client, agents):
    form = {"action": "enable", "idempotency_key": "a" * 32, "agent_ids": '["1", "2", "3"]'}
    first = admin_client.post("/cad/start/", form)
    second = admin_client.post("/cad/start/", form)
    job = CadJob.objects.get()
    assert first["Location"] == second["Location"] == f"/cad/{job.public_id}/"
    assert job.total == 3
    assert selection(admin_client) == {}  # the selection is used up


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "enable"}, "No agents selected"),
        ({"action": "explode", "agent_ids": '["1"]'}, "out of date"),
        ({"action": "enable", "idempotency_key": "not-a-key", "agent_ids": '["1"]'}, "out of date"),
        ({"action": "enable", "agent_ids": '["no-such-agent", "also-not"]'}, "No agents selected"),
    ],
)
def test_bad_or_tampered_input_gets_a_clear_message(admin_client, agents, form, message):
    form.setdefault("idempotency_key", cad_service.new_idempotency_key())
    response = admin_client.post("/cad/start/", form, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert CadJob.objects.count() == 0


def test_tampered_ids_outside_the_directory_are_dropped(admin_client, agents):
    form = {
        "action": "enable",
        "idempotency_key": cad_service.new_idempotency_key(),
        "agent_ids": '["1", "2", "<script>", "99999"]',
    }
    admin_client.post("/cad/start/", form)
    assert CadJob.objects.get().agent_ids == ["1", "2"]


def test_an_empty_selection_cannot_reach_the_confirmation(admin_client, agents):
    response = admin_client.post("/cad/confirm/", {"action": "enable"}, follow=True)
    assert "No agents selected" in response.content.decode()


def test_the_audit_log_filters_by_user_action_and_date(admin_client, admin_user, agents):
    cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=["1"],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    cad_service.cad_job_create(
        user=admin_user,
        action="disable",
        agent_ids=["2"],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    body = admin_client.get("/cad/?action=disable").content.decode()
    assert body.count("<tr>") == 2  # header and one job
    assert "Disable CAD" in body
    today = timezone.localdate().isoformat()
    body = admin_client.get(
        f"/cad/?created_from={today}&created_by={admin_user.pk}"
    ).content.decode()
    assert body.count("<tr>") == 3
    body = admin_client.get("/cad/?created_from=yesterday&action=bogus").content.decode()
    assert "Ignored from “yesterday”" in body
    assert "Ignored action “bogus”" in body


def test_the_job_lists_say_which_filter_values_they_ignored_as_the_directory_does(
    admin_client, admin_user, agents
):
    enable = a_job(admin_user, ids=("1",), action="enable")
    a_job(admin_user, ids=("2",), action="disable")
    # The bad value is named and dropped; the good one still filters (one job and the header).
    body = admin_client.get("/cad/?action=bogus&created_by=" + str(admin_user.pk)).content.decode()
    assert "Ignored action “bogus”: Select a valid choice." in body
    assert body.count("<tr>") == 3
    partial = admin_client.get("/cad/?action=bogus", headers={"HX-Request": "true"})
    assert "Ignored action “bogus”" in partial.content.decode()
    # A job's results: an unknown outcome shows every result, and says so.
    results = admin_client.get(f"/cad/{enable.public_id}/?outcome=nonsense").content.decode()
    assert "Ignored outcome “nonsense”: Select a valid choice." in results
    swapped = admin_client.get(
        f"/cad/{enable.public_id}/?outcome=nonsense", headers={"HX-Request": "true"}
    )
    assert "Ignored outcome “nonsense”" in swapped.content.decode()


def test_an_unknown_job_is_a_clear_404(admin_client, agents):
    response = admin_client.get("/cad/00000000-0000-0000-0000-000000000001/")
    assert response.status_code == 404


def a_job(user, ids=("1",), action="enable"):
    job, _ = cad_service.cad_job_create(
        user=user,
        action=action,
        agent_ids=list(ids),
        idempotency_key=cad_service.new_idempotency_key(),
    )
    return job


@pytest.mark.parametrize("step", ["retry", "undo"])
def test_supervisors_and_managers_are_refused_retry_and_undo(
    supervisor_client, manager_user, admin_user, agents, client, step
):
    job = a_job(admin_user)
    url = f"/cad/{job.public_id}/{step}/"
    form = {"idempotency_key": cad_service.new_idempotency_key()}
    assert supervisor_client.post(url, form).status_code == 403
    client.force_login(manager_user)
    assert client.post(url, form).status_code == 403
    assert CadJob.objects.count() == 1


def test_supervisors_cannot_read_the_audit_log_or_a_job(supervisor_client, admin_user, agents):
    job = a_job(admin_user)
    assert supervisor_client.get("/cad/").status_code == 403
    assert supervisor_client.get(f"/cad/{job.public_id}/").status_code == 403


def test_a_selection_a_running_job_covers_is_refused_with_a_message(
    admin_client, admin_user, agents
):
    a_job(admin_user, ids=["1", "2", "3"])
    form = {
        "action": "disable",
        "idempotency_key": cad_service.new_idempotency_key(),
        "agent_ids": '["3", "4"]',
    }
    response = admin_client.post("/cad/start/", form, follow=True)
    assert response.status_code == 200
    assert "1 of these agents are already in a CAD job that is queued" in (
        response.content.decode()
    )
    assert CadJob.objects.count() == 1


def test_progress_polls_while_the_job_runs_and_stops_when_it_is_done(
    admin_client, admin_user, agents
):
    job = a_job(admin_user, ids=["1", "2"])
    progress_url = f"/cad/{job.public_id}/?progress=1&running=1"
    partial = admin_client.get(progress_url, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'hx-trigger="every 100ms"' in body
    assert 'role="progressbar" aria-label="Agents done"' in body
    assert "0 of 2</strong> done" in body

    CadJob.objects.filter(pk=job.pk).update(status=CadJob.Status.SUCCEEDED, succeeded=2)
    finished = admin_client.get(progress_url, headers={"HX-Request": "true"})
    # The finished page, every result with it, replaces the page on screen in this answer.
    assert (finished["HX-Retarget"], finished["HX-Reswap"], finished["HX-Reselect"]) == (
        "#main",
        "outerHTML",
        "#main",
    )
    shown = finished.content.decode()
    assert "2 of 2</strong> done" in shown and "Each agent's result" in shown
    assert "hx-trigger" not in shown.split('id="job-progress"')[1].split(">")[0]
    page = admin_client.get(f"/cad/{job.public_id}/").content.decode()
    assert "hx-trigger" not in page.split('id="job-progress"')[1].split(">")[0]
    assert "2 of 2</strong> done" in page


def test_all_matching_twenty_thousand_agents_posts_a_few_fields(admin_client, agents):
    create_agents(range(1_000, 21_000), name="Bulk {n}")
    query = "q=bulk"
    admin_client.post("/cad/selection/", {"op": "all_matching", "query": query})
    confirm = admin_client.post("/cad/confirm/", {"action": "enable", "query": query})
    body = confirm.content.decode()
    assert "Enable CAD for 20,000 agents?" in body
    start_form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))
    start_form["all_matching"] = "on"
    assert len(start_form) < 10 and not start_form.get("agent_ids")  # no ids posted
    response = admin_client.post("/cad/start/", start_form)
    job = CadJob.objects.get()
    assert response["Location"] == f"/cad/{job.public_id}/"
    assert job.total == 20_000
    assert job.filter_query == query


@pytest.mark.django_db(transaction=True)
def test_selection_changes_sent_at_once_never_undo_each_other(admin_user, settings):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    settings.TASKS = QUEUED
    settings.DEEPCALL_SYNC_TTL = 10**9
    create_agents(range(1, 61), name="Agent {n:03}")
    admin = Client()
    admin.force_login(admin_user)

    def post(form):
        client = Client()
        client.cookies = admin.cookies  # the same session, as two requests of one page
        try:
            return client.post("/cad/selection/", form).status_code
        finally:
            connection.close()

    # Forty ticks at once, eight in flight at a time: every one counts.
    ticks = [{"op": "update", "add": json.dumps([str(n)]), "query": ""} for n in range(1, 41)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(post, ticks)) == {200}
    assert selection(admin)["ids"] == sorted(str(n) for n in range(1, 41))

    # "Select this page" and "select all matching" at once end as all matching, either order.
    for _ in range(5):
        post({"op": "clear", "query": ""})
        page = {"op": "update", "add": json.dumps([str(n) for n in range(1, 26)]), "query": ""}
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(post, [page, {"op": "all_matching", "query": "status=active"}]))
        stored = selection(admin)
        assert stored["query"] == "status=active" and stored["ids"] == [], stored


@pytest.mark.parametrize(
    "odd_id",
    ["1001,1002", "a;b", "with space", 'it\'s "quoted"', "<b>&amp;", "ज़ेड-7", "a/b", " 7 "],
)
def test_an_id_of_any_characters_is_ticked_confirmed_and_started_alone(
    admin_client, agents, odd_id
):
    from agents.models import Agent

    create_agents([1001, 1002])
    Agent.objects.create(
        agent_id=odd_id, name="Odd Agent", search_text="odd agent", synced_at=timezone.now()
    )
    tick = {"op": "update", "add": json.dumps([odd_id]), "query": ""}
    assert admin_client.post("/cad/selection/", tick).status_code == 200
    assert selection(admin_client)["ids"] == [odd_id]
    body = admin_client.post("/cad/confirm/", {"action": "enable"}).content.decode()
    assert "Enable CAD for 1 agent?" in body and "Odd Agent" in body
    start_form = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', body))
    from html import unescape

    assert json.loads(unescape(start_form["agent_ids"])) == [odd_id]
    start = {
        "action": "enable",
        "idempotency_key": start_form["idempotency_key"],
        "agent_ids": unescape(start_form["agent_ids"]),
    }
    assert admin_client.post("/cad/start/", start).status_code == 302
    assert CadJob.objects.get().agent_ids == [odd_id]  # exactly as given, and alone


def test_a_comma_separated_string_is_not_a_list_of_ids(admin_client, agents):
    response = admin_client.post("/cad/selection/", {"op": "update", "add": "1,2", "query": ""})
    assert response.status_code == 400
    assert selection(admin_client) == {}


def test_kept_ids_and_exclusions_are_bounded(admin_client, agents):
    from agents.forms import MAX_EXPLICIT_IDS
    from agents.models import CadSelection

    many = [f"id-{n}" for n in range(3_000)]
    more = [f"id-{n}" for n in range(3_000, 6_000)]
    for op_ids in (many, more):
        admin_client.post("/cad/selection/", {"op": "update", "add": json.dumps(op_ids)})
    admin_client.post("/cad/selection/", {"op": "all_matching", "query": ""})
    for op_ids in (many, more):
        admin_client.post("/cad/selection/", {"op": "update", "remove": json.dumps(op_ids)})
    row = CadSelection.objects.get(session_key=admin_client.session.session_key)
    assert len(row.excluded_ids) == MAX_EXPLICIT_IDS
    too_many = json.dumps([str(n) for n in range(MAX_EXPLICIT_IDS + 1)])
    response = admin_client.post("/cad/selection/", {"op": "update", "add": too_many})
    assert response.status_code == 400


def test_the_job_lists_show_a_page_past_the_end_as_the_last_and_say_so(
    admin_client, admin_user, agents
):
    body = admin_client.get("/cad/?page=7").content.decode()
    assert "There is no page 7" not in body  # no job at all: nothing to page
    cad_service.cad_job_create(
        user=admin_user,
        action="disable",
        agent_ids=["2"],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    body = admin_client.get("/cad/?page=7").content.decode()
    assert "There is no page 7; showing the last page, 1." in body
    assert (
        admin_client.get("/cad/?page=x")
        .content.decode()
        .count("The page number was not a positive whole number; showing page 1.")
        == 1
    )
