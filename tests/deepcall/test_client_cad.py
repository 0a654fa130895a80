"""setCad/unsetCad: one call per batch, every id accounted for, typed errors, the retry policy.

Cutting a job into batches, and what happens to the rest of a job when a batch fails, is the
job runner's (tests/services/test_cad_jobs.py).
"""

import httpx
import pytest

from agents.deepcall import (
    CAD_RETRY_ATTEMPTS,
    AuthenticationError,
    CadOutcome,
    DeepCallClient,
    DeepCallConfig,
    InvalidRequestError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from agents.deepcall.client import cad_not_attempted_reason
from agents.deepcall.parsing import NO_ANSWER_MESSAGE

from .conftest import BASE_URL, SETCAD_URL, SSID, UNSETCAD_URL, load, request_json


def all_succeed(request):
    ids = request_json(request)["agentIds"]
    return httpx.Response(
        200,
        json={
            "status": "success",
            "code": 200,
            "message": "CAD setting process completed.",
            "data": {
                "updatedAgents": [{"agentId": i, "status": "success"} for i in ids],
                "errors": [],
            },
        },
    )


def outcomes(result):
    return [(r.agent_id, r.outcome) for r in result.results]


@pytest.fixture
def small_batches(api):
    with DeepCallClient(DeepCallConfig(base_url=BASE_URL, ssid=SSID, cad_batch_size=2)) as c:
        yield c


def test_enable_sends_string_ids_and_reads_the_real_example(client, api):
    route = api.post(SETCAD_URL).respond(200, json=load("setcad-response.json"))

    result = client.cad_batch(enable=True, agent_ids=[1, "14"])

    assert request_json(route.calls.last.request) == {"ssid": SSID, "agentIds": ["1", "14"]}
    assert outcomes(result) == [("1", CadOutcome.SUCCEEDED), ("14", CadOutcome.SUCCEEDED)]


def test_disable_calls_unset_cad(client, api):
    route = api.post(UNSETCAD_URL).mock(side_effect=all_succeed)

    result = client.cad_batch(enable=False, agent_ids=["3"])

    assert route.call_count == 1 and result.succeeded == 1


def test_an_id_the_api_does_not_answer_is_failed_with_no_answer(client, api):
    api.post(SETCAD_URL).respond(
        200,
        json={
            "status": "success",
            "code": 200,
            "data": {
                "updatedAgents": [{"agentId": "1", "status": "success"}],
                "errors": [{"agentId": "2", "message": "Invalid agentId"}],
            },
        },
    )

    result = client.cad_batch(enable=True, agent_ids=["1", "2", "3"])

    assert [(r.agent_id, r.outcome, r.message) for r in result.results] == [
        ("1", CadOutcome.SUCCEEDED, ""),
        ("2", CadOutcome.FAILED, "Invalid agentId"),
        ("3", CadOutcome.FAILED, NO_ANSWER_MESSAGE),
    ]


def test_cad_batch_raises_typed_errors(client, api):
    api.post(SETCAD_URL).respond(200, json={"status": "error", "code": 1000, "message": "x"})

    with pytest.raises(InvalidRequestError):
        client.cad_batch(enable=True, agent_ids=["1"])


def test_cad_batch_refuses_more_ids_than_the_batch_size(small_batches):
    with pytest.raises(ValueError, match="limit is 2"):
        small_batches.cad_batch(enable=True, agent_ids=["1", "2", "3"])


def test_cad_batch_sends_each_id_once_as_a_string(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=all_succeed)

    result = client.cad_batch(enable=True, agent_ids=[1, "1", 2, " 3 "])

    # Text ids go exactly as given, spaces included (opaque ids, agent-api.md).
    assert request_json(route.calls.last.request)["agentIds"] == ["1", "2", " 3 "]
    assert [r.agent_id for r in result.results] == ["1", "2", " 3 "]


def test_cad_batch_of_nothing_makes_no_call(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=all_succeed)

    assert client.cad_batch([], enable=True).results == ()
    assert route.call_count == 0


# --- the CAD retry policy: only when nothing was sent -----------------------------------------


@pytest.mark.parametrize("fault", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
def test_cad_is_retried_when_the_connection_could_not_be_opened(client, api, fault):
    route = api.post(SETCAD_URL).mock(side_effect=[fault, all_succeed])

    result = client.cad_batch(enable=True, agent_ids=["1"])

    assert route.call_count == 2 and result.succeeded == 1


def test_cad_connect_retries_are_bounded(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(UpstreamUnavailableError) as caught:
        client.cad_batch(enable=True, agent_ids=["1"])

    assert route.call_count == CAD_RETRY_ATTEMPTS
    assert caught.value.request_sent is False
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_cad_is_not_retried_after_a_read_timeout(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamTimeoutError) as caught:
        client.cad_batch(enable=True, agent_ids=["1"])

    assert route.call_count == 1 and caught.value.request_sent is True


@pytest.mark.parametrize("status", [500, 502, 503])
def test_cad_is_not_retried_after_a_5xx(client, api, status):
    route = api.post(SETCAD_URL).respond(status, html="<html>bad gateway</html>")

    with pytest.raises(UpstreamUnavailableError):
        client.cad_batch(enable=True, agent_ids=["1"])

    assert route.call_count == 1


def test_cad_is_not_retried_after_the_connection_dropped_mid_call(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=httpx.RemoteProtocolError("disconnected"))

    with pytest.raises(UpstreamUnavailableError):
        client.cad_batch(enable=True, agent_ids=["1"])

    assert route.call_count == 1


def test_a_batch_lost_after_sending_says_the_change_is_unconfirmed(client, api):
    api.post(SETCAD_URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamTimeoutError) as caught:
        client.cad_batch(enable=True, agent_ids=["1", "2"])

    assert "may or may not have been applied" in cad_not_attempted_reason(caught.value)


def test_a_batch_refused_before_sending_says_only_why(client, api):
    api.post(SETCAD_URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(UpstreamUnavailableError) as caught:
        client.cad_batch(enable=True, agent_ids=["1"])

    assert "may or may not" not in cad_not_attempted_reason(caught.value)


def test_http_401_on_unset_cad_raises_an_authentication_error(client, api):
    api.post(UNSETCAD_URL).respond(401)

    with pytest.raises(AuthenticationError):
        client.cad_batch(enable=False, agent_ids=["1"])


def test_a_per_agent_message_quoting_the_credentials_is_scrubbed(client, api):
    # Whole-answer errors are scrubbed of the ssid/token; an agent's own message is too.
    api.post(SETCAD_URL).respond(
        200,
        json={
            "status": "success",
            "code": 200,
            "data": {
                "updatedAgents": [{"agentId": "2", "status": f"refused for {SSID}"}],
                "errors": [{"agentId": "1", "message": f"session {SSID} may not change agent 1"}],
            },
        },
    )

    result = client.cad_batch(enable=True, agent_ids=["1", "2"])

    messages = [r.message for r in result.results]
    assert all(SSID not in m for m in messages), messages
    assert "may not change agent 1" in messages[0]


def test_an_id_with_a_comma_is_sent_alone_and_exactly_as_given(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=all_succeed)

    result = client.cad_batch(enable=True, agent_ids=["1001,1002", "a/b", "ज़ेड", " 7 "])

    assert request_json(route.calls.last.request)["agentIds"] == ["1001,1002", "a/b", "ज़ेड", " 7 "]
    assert [r.agent_id for r in result.results] == ["1001,1002", "a/b", "ज़ेड", " 7 "]
