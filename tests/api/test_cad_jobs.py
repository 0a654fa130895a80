"""/api/v1/cad-jobs through the test client: who may start one, the idempotency key, picked
agents or a filter, the team scope, the results, retry and undo; and the audit log marks each
job with the token's name."""

import pytest

from agents.models import Agent, CadJob
from agents.services import agent_sync
from agents.services.team_scopes import team_scope_set
from agents.team_scope import TeamScope
from tests.api.conftest import api_client_for
from tests.fixtures.agents import make_agent

pytestmark = pytest.mark.django_db

URL = "/api/v1/cad-jobs"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# The database queue with no worker: a job waits, queued.
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings):
    settings.TASKS = QUEUED


@pytest.fixture
def two_groups(db):
    make_agent(1, "North Ann", groups=["501"])
    make_agent(2, "North Bob", groups=["501"], active=False)
    make_agent(3, "South Cy", groups=["502"])


@pytest.fixture
def synced(sandbox_settings, settings):
    """The sandbox's agents in the read model; jobs run at once, one batch after another."""
    settings.TASKS = IMMEDIATE
    settings.DEEPCALL_CAD_BATCH_SIZE = 5
    settings.DEEPCALL_CAD_CONCURRENCY = 1
    assert agent_sync(trigger="command").outcome == "succeeded"
    return sandbox_settings


def some_ids(count: int) -> list[str]:
    return list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:count])


def start(api, body, key="key-1"):
    return api.post(URL, body, HTTP_IDEMPOTENCY_KEY=key)


def test_a_supervisors_or_managers_token_is_refused_with_403(
    supervisor_api, manager_api, two_groups, queued
):
    for api in (supervisor_api, manager_api):
        response = start(api, {"action": "enable", "agent_ids": ["1"]})
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
    assert not CadJob.objects.exists()
    assert supervisor_api.get(URL).status_code == 403  # nor read the audit log
    assert manager_api.get(URL).status_code == 200  # managers read it, as on the pages


def test_picked_agents_start_a_job_marked_with_the_token(admin_api, admin_user, two_groups, queued):
    response = start(admin_api, {"action": "enable", "agent_ids": ["1", "3"]})
    assert response.status_code == 201
    job = CadJob.objects.get()
    assert response["Location"] == f"/api/v1/cad-jobs/{job.public_id}"
    body = response.json()
    assert body["id"] == str(job.public_id) and body["status"] == "queued"
    assert body["total"] == 2 and body["filter_description"] == "agents picked one by one"
    assert body["created_by"] == "ada.admin" and body["api_token_name"] == "hr-sync"
    assert sorted(job.agent_ids) == ["1", "3"] and job.api_token_name == "hr-sync"
    assert admin_api.get(response["Location"]).json()["total"] == 2


def test_the_same_idempotency_key_returns_the_same_job(admin_api, two_groups, queued):
    first = start(admin_api, {"action": "enable", "agent_ids": ["1"]}, key="hr-42")
    again = start(admin_api, {"action": "enable", "agent_ids": ["1"]}, key="hr-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and CadJob.objects.count() == 1
    assert again["Location"] == first["Location"]


def test_another_users_key_never_finds_this_users_job(admin_api, admin_user, two_groups, queued):
    from agents.roles import ADMIN
    from tests.fixtures.users import enrol_second_factor, make_user

    other = make_user(type(admin_user), "ali.admin", ADMIN)
    enrol_second_factor(other)
    start(admin_api, {"action": "enable", "agent_ids": ["1"]}, key="shared")
    response = start(api_client_for(other), {"action": "enable", "agent_ids": ["3"]}, key="shared")
    assert response.status_code == 201 and CadJob.objects.count() == 2


def test_a_missing_idempotency_key_or_a_bad_body_is_a_422_problem(admin_api, two_groups, queued):
    response = admin_api.post(URL, {"action": "enable", "agent_ids": ["1"]})
    assert response.status_code == 422
    assert "Idempotency-Key" in str(response.json()["errors"])
    for body in (
        {"action": "toggle", "agent_ids": ["1"]},
        {"action": "enable"},
        {"action": "enable", "agent_ids": ["1"], "filter": {}},
        {"action": "enable", "agent_ids": "1,3"},
        {"action": "enable", "filter": {"colour": "red"}},
        {"action": "enable", "filter": {"status": "asleep"}},
    ):
        response = start(admin_api, body)
        assert response.status_code == 422, body
        assert response["Content-Type"] == "application/problem+json"
    assert admin_api.client.post(
        URL,
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_api.token}",
        HTTP_IDEMPOTENCY_KEY="k",
    ).status_code in (400, 422)
    assert not CadJob.objects.exists()


def test_unknown_ids_are_refused_naming_them_and_nothing_starts(admin_api, two_groups, queued):
    response = start(admin_api, {"action": "enable", "agent_ids": ["1", "nobody"]})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("1 of these agent ids are not in the directory")
    assert not CadJob.objects.exists()


def test_a_filter_selects_as_the_directory_does(admin_api, two_groups, queued):
    response = start(
        admin_api, {"action": "disable", "filter": {"group": ["501"], "status": "active"}}
    )
    assert response.status_code == 201
    job = CadJob.objects.get()
    assert job.agent_ids == ["1"] and job.action == "disable"
    assert job.filter_query == "group=501&status=active"
    assert job.filter_description == "all agents matching group G501 (#501), active"


def test_agents_in_a_running_job_are_a_409_with_the_pages_words(admin_api, two_groups, queued):
    start(admin_api, {"action": "enable", "agent_ids": ["1"]}, key="a")
    response = start(admin_api, {"action": "disable", "agent_ids": ["1", "3"]}, key="b")
    assert response.status_code == 409
    assert "already in a CAD job that is queued" in response.json()["detail"]


def test_a_scoped_token_cannot_reach_agents_or_jobs_out_of_scope(
    admin_user, django_user_model, two_groups, queued
):
    from agents.roles import ADMIN
    from tests.fixtures.users import enrol_second_factor, make_user

    lead = make_user(django_user_model, "nina.north", ADMIN)
    enrol_second_factor(lead)
    team_scope_set(user=lead, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    north = api_client_for(lead, "north script")
    whole = api_client_for(admin_user)

    refused = start(north, {"action": "enable", "agent_ids": ["1", "3"]})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Refused: 1 of the agent is not in the groups")
    by_filter = start(north, {"action": "enable", "filter": {}}, key="all")
    assert by_filter.status_code == 201
    assert CadJob.objects.get().agent_ids == ["1", "2"]  # "every agent" is every agent in scope

    south_job = start(whole, {"action": "enable", "agent_ids": ["3"]}, key="south").json()
    listed = [job["id"] for job in north.get(URL).json()["results"]]
    assert south_job["id"] not in listed and len(listed) == 1
    assert north.get(f"{URL}/{south_job['id']}").status_code == 404
    assert north.get(f"{URL}/{south_job['id']}/results").status_code == 404
    assert north.post(f"{URL}/{south_job['id']}/retry", HTTP_IDEMPOTENCY_KEY="r").status_code == 404


def test_results_retry_and_undo_against_the_sandbox(admin_api, synced):
    ids = some_ids(7)
    synced.set_faults(
        cad_failures={ids[2]: {"code": 1501, "message": "Data already in processing"}}
    )
    job = start(admin_api, {"action": "enable", "agent_ids": ids}).json()
    job = admin_api.get(job["url"]).json()
    assert (job["status"], job["succeeded"], job["failed"]) == ("partial", 6, 1)

    results = admin_api.get(job["results_url"], {"outcome": "failed"}).json()
    assert results["count"] == 1 and results["hidden"] == 0
    failed = results["results"][0]
    assert (failed["agent_id"], failed["message"], failed["code"]) == (
        ids[2],
        "Data already in processing",
        1501,
    )
    paged = admin_api.get(job["results_url"], {"per_page": 5}).json()
    assert paged["count"] == 7 and len(paged["results"]) == 5 and paged["next"]
    assert len(admin_api.get(paged["next"]).json()["results"]) == 2

    synced.set_faults()
    retried = admin_api.post(f"{job['url']}/retry", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert retried.status_code == 201
    retry = admin_api.get(retried.json()["url"]).json()
    assert retry["kind"] == "retry" and retry["source_job"] == job["id"]
    assert (retry["status"], retry["total"]) == ("succeeded", 1)
    assert synced.cad_on == set(ids)

    plan = admin_api.get(f"{job['url']}/undo").json()
    assert plan == {
        "action": "disable",
        "restore": 0,
        "kept": 0,
        "unknown": 6,
        "unknown_agents": plan["unknown_agents"],
    }
    left = admin_api.post(f"{job['url']}/undo", {"unknown": "leave"}, HTTP_IDEMPOTENCY_KEY="u1")
    assert left.status_code == 409
    assert left.json()["detail"].startswith("Nothing to undo without the 6 agents")
    undone = admin_api.post(f"{job['url']}/undo", {"unknown": "revert"}, HTTP_IDEMPOTENCY_KEY="u2")
    assert undone.status_code == 201
    undo = admin_api.get(undone.json()["url"]).json()
    assert (undo["action"], undo["kind"], undo["status"]) == ("disable", "undo", "succeeded")
    assert undo["api_token_name"] == "hr-sync"
    assert synced.cad_on == {ids[2]}  # the retry's agent is the retry's to undo


def test_the_job_page_and_the_audit_log_say_a_job_came_from_the_api(
    admin_api, admin_client, two_groups, queued
):
    job = start(admin_api, {"action": "enable", "agent_ids": ["1"]}).json()
    page = admin_client.get(f"/cad/{job['id']}/").content.decode()
    assert "ada.admin through the API (token “hr-sync”)" in page
    assert "API (token “hr-sync”)" in admin_client.get("/cad/").content.decode()


def test_a_scoped_token_is_not_shown_what_a_wider_scoped_admin_typed(
    admin_user, django_user_model, two_groups, queued
):
    """A job made for the whole account that touched one of the team's agents is listed for
    the team's token, but not its filter (another admin's search may name outside agents)."""
    from agents.roles import ADMIN
    from tests.fixtures.users import enrol_second_factor, make_user

    lead = make_user(django_user_model, "nina.north", ADMIN)
    enrol_second_factor(lead)
    team_scope_set(user=lead, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    north = api_client_for(lead, "north script")
    whole = api_client_for(admin_user)

    made = start(whole, {"action": "enable", "filter": {"q": "th"}}, key="wide")
    assert made.status_code == 201, made.json()
    assert "th" in made.json()["filter_description"] and made.json()["total"] == 3

    seen_by_north = north.get(f"{URL}/{made.json()['id']}").json()
    listed_for_north = north.get(URL).json()["results"]
    for job in (seen_by_north, *listed_for_north):
        assert job["filter_description"] == "" and job["filter_query"] == ""
    make_agent(4, "North Dee", groups=["501"])  # in no queued job yet
    own = start(north, {"action": "disable", "filter": {"q": "Dee"}}, key="own").json()
    assert "Dee" in north.get(f"{URL}/{own['id']}").json()["filter_description"]
