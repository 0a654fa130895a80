"""The control endpoints under /_sandbox/ and the in-process handle."""

import httpx

from tests.fixtures.sandbox import SANDBOX_TEST_AGENTS, SANDBOX_TEST_PAGE_SIZE
from tests.sandbox.support import TOKEN, api, call


def state(sandbox) -> dict:
    return httpx.get(f"{sandbox.url}/_sandbox/state").json()


def test_state_shows_cad_on_ids_and_call_counters(sandbox):
    api(sandbox, "list")
    api(sandbox, "setCad", agentIds=["150", "2"])
    call(sandbox, "unsetCad", {**TOKEN, "agentIds": ["150"]})
    answer = state(sandbox)
    assert answer["cad_on"] == ["2"]
    assert answer["calls"] == {"list": 1, "setCad": 1, "unsetCad": 1, "total": 3}
    assert answer["agents"] == SANDBOX_TEST_AGENTS
    assert answer["page_size"] == SANDBOX_TEST_PAGE_SIZE
    assert sandbox.calls == answer["calls"]


def test_recent_requests_show_content_type_and_body_without_credentials(sandbox):
    call(
        sandbox,
        "setCad",
        {**TOKEN, "agentIds": ["2"]},
        headers={"Content-Type": "application/json"},
    )
    recent = state(sandbox)["recent_requests"]
    assert recent == [
        {
            "action": "setCad",
            "content_type": "application/json",
            "body": {"userId": "sandbox-user", "token": "***", "agentIds": ["2"]},
        }
    ]


def test_reset_over_http_clears_everything(sandbox):
    api(sandbox, "setCad", agentIds=["2"])
    sandbox.set_faults(latency_ms=5)
    response = httpx.post(f"{sandbox.url}/_sandbox/reset")
    assert response.status_code == 200
    answer = state(sandbox)
    assert answer["cad_on"] == []
    assert answer["calls"]["total"] == 0
    assert answer["faults"]["latency_ms"] == 0


def test_cad_state_can_be_preset(sandbox):
    response = httpx.post(f"{sandbox.url}/_sandbox/cad", json={"cad_on": [2, "5"]})
    assert response.json()["cad_on"] == ["2", "5"]
    assert sandbox.cad_on == {"2", "5"}


def test_page_size_can_be_changed_and_reset(sandbox):
    httpx.post(f"{sandbox.url}/_sandbox/config", json={"page_size": 10})
    assert len(api(sandbox, "list")["response"]) == 10
    sandbox.reset()
    assert len(api(sandbox, "list")["response"]) == SANDBOX_TEST_PAGE_SIZE


def test_bad_control_requests_answer_4xx(sandbox):
    assert httpx.post(f"{sandbox.url}/_sandbox/cad", json={"cad_on": "2"}).status_code == 400
    assert httpx.post(f"{sandbox.url}/_sandbox/config", json={"page_size": 0}).status_code == 400
    assert httpx.post(f"{sandbox.url}/_sandbox/faults", content=b"{").status_code == 400
    assert httpx.get(f"{sandbox.url}/_sandbox/nothing").status_code == 404
    assert httpx.get(f"{sandbox.url}/_sandbox/reset").status_code == 405


def test_control_calls_are_not_counted_and_not_faulted(sandbox):
    sandbox.set_faults(error_rate=1.0)
    assert httpx.get(f"{sandbox.url}/_sandbox/state").status_code == 200
    assert sandbox.calls["total"] == 0
