"""Changing the sandbox's agents between syncs: POST /_sandbox/mutate, the churn fault, --churn."""

import httpx

from tests.fixtures.sandbox import SANDBOX_TEST_AGENTS
from tests.sandbox.support import all_agents, api
from tests.sandbox.test_command import run_sandbox, stop


def mutate(sandbox, **body) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/_sandbox/mutate", json=body)


def by_id(agents: list[dict]) -> dict[str, dict]:
    return {str(a["unique_id"]): a for a in agents}


def test_each_kind_of_change_shows_in_the_next_listing(sandbox):
    response = mutate(
        sandbox,
        rename={"4": "Vijay Kumar"},
        hours={
            "5": [{"wDays": ["MON", "TUE", "WED", "THU", "FRI", "SAT"], "from": 540, "to": 1080}]
        },
        groups={"6": [34, "30"]},
        pre_delete=["9"],
        remove=["8"],
        add=2,
    )
    assert response.status_code == 200, response.text
    changed = response.json()["changed"]
    assert changed["remove"] == ["8"] and len(changed["add"]) == 2

    agents = by_id(all_agents(sandbox))
    assert len(agents) == SANDBOX_TEST_AGENTS + 1
    assert agents["4"]["name"] == "Vijay Kumar"
    assert [(w["wDays"], w["from"], w["to"]) for w in agents["5"]["working"]] == [
        (["MON", "TUE", "WED", "THU", "FRI", "SAT"], 540, 1080)
    ]
    assert agents["6"]["group"] == [34, 30]
    assert agents["6"]["groupNames"] == [{"34": "Billing"}, {"30": "Sales"}]
    assert agents["9"]["preDeleted"] == 1
    assert "8" not in agents
    for new_id in changed["add"]:
        assert "password" in agents[new_id]  # as real as the others, secrets included


def test_reset_brings_back_the_agents_the_sandbox_started_with(sandbox):
    before = all_agents(sandbox)
    mutate(sandbox, random=20)
    assert all_agents(sandbox) != before
    httpx.post(f"{sandbox.url}/_sandbox/reset")
    assert all_agents(sandbox) == before


def test_a_bad_mutation_is_refused_with_a_message_and_changes_nothing(sandbox):
    before = all_agents(sandbox)
    for body, message in (
        ({"rename": {"999999": "Nobody"}}, "no agent with id '999999'"),
        ({"groups": {"4": [12345]}}, "unknown group id 12345"),
        ({"hours": {"4": [{"wDays": ["XYZ"], "from": 0, "to": 60}]}}, "wDays"),
        ({"random": -1}, "random must be a number"),
        ({"explode": True}, "unknown mutation field(s): explode"),
        ({"rename": {"4": "ok"}, "remove": ["nope"]}, "no agent with id 'nope'"),
    ):
        response = mutate(sandbox, **body)
        assert response.status_code == 400
        assert message in response.json()["message"]
    assert all_agents(sandbox) == before


def test_churn_fault_changes_the_agents_at_the_start_of_each_full_listing(sandbox):
    first = all_agents(sandbox)
    sandbox.set_faults(churn=5)
    second = all_agents(sandbox)
    third = all_agents(sandbox)
    assert first != second != third
    assert httpx.get(f"{sandbox.url}/_sandbox/state").json()["mutations"] == 2
    # A filtered listing (one agent, a name search) is not the start of a sync.
    api(sandbox, "list", agentId="4")
    api(sandbox, "list", name="a")
    assert httpx.get(f"{sandbox.url}/_sandbox/state").json()["mutations"] == 2


def test_churn_flag_on_the_command_line():
    process, url = run_sandbox(
        "-m", "agents.sandbox", "--port", "0", "--agents", "20", "--churn", "3"
    )
    try:
        body = {"ssid": "sandbox-ssid"}
        first = httpx.post(f"{url}/api/v2/Agent/list", json=body).json()["response"]
        second = httpx.post(f"{url}/api/v2/Agent/list", json=body).json()["response"]
        assert first != second
        assert httpx.get(f"{url}/_sandbox/faults").json()["faults"]["churn"] == 3
    finally:
        code, _ = stop(process)
    assert code == 0
