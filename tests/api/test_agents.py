"""GET /api/v1/agents and /api/v1/agents/{id}: the directory's filters with their names and
meanings, paging, each agent's fields, and the team scope of the token's user."""

import pytest

from agents.services.team_scopes import team_scope_set
from agents.team_scope import TeamScope
from tests.fixtures.agents import create_agents, make_agent

pytestmark = pytest.mark.django_db

URL = "/api/v1/agents"


@pytest.fixture
def two_groups(db):
    make_agent(1, "North Ann", [((0, 1, 2, 3, 4), 540, 1080)], groups=["501"])
    make_agent(2, "North Bob", groups=["501"], active=False)
    make_agent(3, "South Cy", [((5, 6), 1320, 360)], groups=["502"])


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [agent["id"] for agent in response.json()["results"]]


def test_agents_come_with_groups_hours_status_and_cad_state(supervisor_api, two_groups):
    body = supervisor_api.get(URL).json()
    assert body["count"] == 3 and body["next"] is None
    ann = body["results"][0]
    assert ann["id"] == "1" and ann["name"] == "North Ann" and ann["status"] == "active"
    assert ann["groups"] == [{"id": "501", "name": "G501"}]
    assert ann["working_hours"]["text"] == "Mon–Fri 09:00–18:00"
    assert ann["working_hours"]["windows"] == [
        {
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "start_minute": 540,
            "end_minute": 1080,
            "text": "Mon–Fri 09:00–18:00",
        }
    ]
    assert ann["cad"] == {"state": None, "set_at": None}
    assert body["results"][2]["working_hours"]["text"] == "Sat, Sun 22:00–06:00 (overnight)"


def test_the_directory_filters_have_the_same_names_and_meanings(supervisor_api, two_groups):
    assert ids(supervisor_api.get(URL, {"group": "501"})) == ["1", "2"]
    assert ids(supervisor_api.get(URL, {"group": ["501", "502"], "status": "active"})) == [
        "1",
        "3",
    ]
    assert ids(supervisor_api.get(URL, {"q": "north bob"})) == ["2"]
    assert ids(supervisor_api.get(URL, {"day": "5"})) == ["3"]
    assert ids(supervisor_api.get(URL, {"sort": "-name"})) == ["3", "2", "1"]
    assert ids(supervisor_api.get(URL, {"cad": "unknown", "status": "inactive"})) == ["2"]


def test_pages_carry_count_and_next_up_to_five_hundred_a_page(supervisor_api):
    create_agents(range(1, 1202))
    first = supervisor_api.get(URL, {"per_page": 500}).json()
    assert first["count"] == 1201 and len(first["results"]) == 500
    assert first["next"].endswith("per_page=500&page=2")
    third = supervisor_api.get(first["next"].replace("page=2", "page=3")).json()
    assert third["results"][0]["id"] == "1001" and third["next"] is None
    assert supervisor_api.get(URL, {"page": 99}).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"per_page": 501}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": "x"}, "page"),
        ({"sort": "password"}, "sort"),
        ({"status": "asleep"}, "status"),
        ({"group": "999"}, "group"),
        ({"day": "7"}, "day"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_a_bad_query_value_is_a_problem_naming_it(supervisor_api, two_groups, query, name):
    response = supervisor_api.get(URL, query)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Unprocessable Content"
    assert problem["instance"] == URL
    assert name in [error["name"] for error in problem["errors"]]


@pytest.mark.parametrize(
    ("name", "label", "value"),
    [("dest_type", "destination", "carrier pigeon"), ("status", "status", "asleep")],
)
def test_a_refused_filter_is_worded_as_the_directory_words_it(
    supervisor_api, client, supervisor_user, two_groups, name, label, value
):
    problem = supervisor_api.get(URL, {name: value}).json()
    assert problem["detail"].startswith(f"Ignored {label} “{value}”: Select a valid choice.")
    worded = f"Select a valid choice. {value} is not one of the available choices."
    assert problem["errors"] == [{"name": name, "message": worded}]
    client.force_login(supervisor_user)
    page = client.get("/agents/", {name: value}).content.decode()
    assert f"Ignored {label} “{value}”" in page


def test_an_empty_filter_is_no_filter_as_in_the_directorys_form(supervisor_api, two_groups):
    assert ids(supervisor_api.get(URL, {"group": "", "dest_type": "", "q": " "})) == ["1", "2", "3"]


def test_one_agent_and_a_clear_404_for_an_unknown_id(supervisor_api, two_groups):
    assert supervisor_api.get(f"{URL}/3").json()["name"] == "South Cy"
    response = supervisor_api.get(f"{URL}/404")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"].startswith("No agent with id “404”")


def test_a_scoped_token_never_sees_an_agent_out_of_scope(
    supervisor_user, supervisor_api, admin_user, two_groups
):
    team_scope_set(user=supervisor_user, scope=TeamScope.of_groups(["501"]), changed_by=admin_user)
    assert ids(supervisor_api.get(URL)) == ["1", "2"]
    assert supervisor_api.get(URL).json()["count"] == 2
    assert ids(supervisor_api.get(URL, {"q": "south"})) == []
    assert supervisor_api.get(URL, {"group": "502"}).status_code == 422
    assert supervisor_api.get(f"{URL}/3").status_code == 404
    assert supervisor_api.get(f"{URL}/1").status_code == 200


def test_reads_of_agents_are_in_the_exports_audit_trail_marked_with_the_token(
    supervisor_user, supervisor_api, two_groups
):
    from agents.models import CsvExport

    supervisor_api.get(URL, {"status": "active", "per_page": 1})
    export = CsvExport.objects.get()
    assert export.user == supervisor_user and export.api_token_name == "test script"
    assert export.path == URL and export.rows == 1
    assert export.filter_query == "status=active&sort=id&page=1&per_page=1"


def test_an_id_holding_a_slash_is_reached_as_the_directory_links_it(supervisor_api):
    from agents.models import Agent

    make_agent(7, "Slashy")
    Agent.objects.filter(agent_id="7").update(agent_id="a/b")
    assert supervisor_api.get(f"{URL}/a~2Fb").json()["id"] == "a/b"


def test_the_exports_page_marks_api_reads_with_the_token(supervisor_api, admin_client, two_groups):
    supervisor_api.get(URL)
    page = admin_client.get("/exports/").content.decode()
    assert "sam.supervisor" in page and "API (token “test script”)" in page


def test_a_misspelt_parameter_is_refused_not_ignored(supervisor_api, two_groups):
    response = supervisor_api.get(URL, {"stauts": "active"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"].startswith("Unknown query parameter “stauts”: this endpoint takes")
    assert problem["errors"] == [{"name": "stauts", "message": "Not a parameter of this endpoint."}]
    assert supervisor_api.get(f"{URL}/1", {"verbose": "1"}).status_code == 422


def test_a_scoped_tokens_reads_are_on_its_teams_exports_page_not_on_another_teams(
    admin_user, django_user_model, client, two_groups
):
    """An API read is an export made within the token user's scope: the team's scoped admin
    sees it on /exports/, another team's does not (its filter may name the first team's
    agents)."""
    from agents.roles import ADMIN, SUPERVISOR
    from tests.api.conftest import api_client_for
    from tests.fixtures.users import enrol_second_factor, make_user

    def scoped(username, role, group):
        user = make_user(django_user_model, username, role)
        enrol_second_factor(user)
        team_scope_set(user=user, scope=TeamScope.of_groups([group]), changed_by=admin_user)
        return user

    reader = scoped("sue.north", SUPERVISOR, "501")
    north_admin = scoped("abe.north", ADMIN, "501")
    south_admin = scoped("sam.south", ADMIN, "502")
    assert ids(api_client_for(reader, "north sheet").get(URL, {"q": "Ann"})) == ["1"]

    client.force_login(north_admin)
    assert "north sheet" in client.get("/exports/").content.decode()
    client.force_login(south_admin)
    assert "north sheet" not in client.get("/exports/").content.decode()
