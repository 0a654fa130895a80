"""Agent/setCad and Agent/unsetCad: the published shape, per-agent results, observable state."""

import json

import pytest

from tests.sandbox.support import DATA, SSID, TOKEN, api, call


def test_set_cad_answers_the_published_shape(sandbox):
    answer = api(sandbox, "setCad", agentIds=["2", "5"])
    published = json.loads((DATA / "setcad-response.json").read_text())
    assert list(answer) == list(published)
    assert list(answer["data"]) == list(published["data"])
    assert answer["message"] == published["message"]
    assert answer["data"]["updatedAgents"] == [
        {"agentId": "2", "status": "success"},
        {"agentId": "5", "status": "success"},
    ]
    assert answer["data"]["errors"] == []


def test_set_cad_turns_cad_on_and_unset_cad_turns_it_off(sandbox):
    api(sandbox, "setCad", agentIds=["2", "5", "150"])
    assert sandbox.cad_on == {"2", "5", "150"}
    answer = call(sandbox, "unsetCad", {**TOKEN, "agentIds": ["5"]}).json()
    assert answer["data"]["updatedAgents"] == [{"agentId": "5", "status": "success"}]
    assert sandbox.cad_on == {"2", "150"}
    agents = api(sandbox, "list", withCad=True)["response"]
    assert {str(a["unique_id"]) for a in agents if a["cad"] == "1"} == {"2", "150"}


def test_ids_may_be_numbers_or_strings_and_are_answered_as_strings(sandbox):
    answer = api(sandbox, "setCad", agentIds=[2, "3", 4.0])
    assert [r["agentId"] for r in answer["data"]["updatedAgents"]] == ["2", "3", "4"]
    assert sandbox.cad_on == {"2", "3", "4"}


def test_each_id_is_answered_once(sandbox):
    answer = api(sandbox, "setCad", agentIds=["2", 2, "2"])
    assert answer["data"]["updatedAgents"] == [{"agentId": "2", "status": "success"}]


def test_unknown_ids_go_to_errors_and_the_rest_succeed(sandbox):
    answer = api(sandbox, "setCad", agentIds=["1", "2", "14", "abc", None])
    assert answer["status"] == "success"
    assert answer["data"]["updatedAgents"] == [{"agentId": "2", "status": "success"}]
    assert answer["data"]["errors"] == [
        {"agentId": "1", "message": "Invalid agentId"},
        {"agentId": "14", "message": "Invalid agentId"},
        {"agentId": "abc", "message": "Invalid agentId"},
        {"agentId": "null", "message": "Invalid agentId"},
    ]
    assert sandbox.cad_on == {"2"}


def test_an_empty_list_succeeds_with_nothing_to_do(sandbox):
    answer = api(sandbox, "setCad", agentIds=[])
    assert answer["data"] == {"updatedAgents": [], "errors": []}


def test_chosen_agents_fail_with_the_given_code_and_message(sandbox):
    sandbox.set_faults(
        cad_failures={
            "5": {"code": 1501, "message": "Data already in processing"},
            "6": "Data could not be updated",
        }
    )
    answer = api(sandbox, "setCad", agentIds=["2", 5, "6"])
    assert answer["data"]["updatedAgents"] == [{"agentId": "2", "status": "success"}]
    assert answer["data"]["errors"] == [
        {"agentId": "5", "message": "Data already in processing", "code": 1501},
        {"agentId": "6", "message": "Data could not be updated"},
    ]
    assert sandbox.cad_on == {"2"}


@pytest.mark.parametrize("action", ["setCad", "unsetCad", "list"])
def test_denied_actions_answer_1015(sandbox, action):
    sandbox.set_faults(denied_actions=[action])
    answer = call(sandbox, action, {**SSID, "agentIds": ["2"]}).json()
    assert answer == {"status": "error", "code": 1015, "message": "Permission denied"}
    assert sandbox.cad_on == set()


def test_reset_turns_all_cad_off(sandbox):
    api(sandbox, "setCad", agentIds=["2"])
    sandbox.reset()
    assert sandbox.cad_on == set()
