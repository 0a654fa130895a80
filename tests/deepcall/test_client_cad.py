"""setCad/unsetCad: batching, accounting for every id, typed errors, and the CAD retry policy."""

import httpx
import pytest

from agents.deepcall import (
    CAD_RETRY_ATTEMPTS,
    AuthenticationError,
    CadAction,
    CadOutcome,
    DeepCallClient,
    DeepCallConfig,
    InvalidRequestError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
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


def test_set_cad_sends_string_ids_and_reads_the_real_example(client, api):
    route = api.post(SETCAD_URL).respond(200, json=load("setcad-response.json"))

    result = client.set_cad([1, "14"])

    assert request_json(route.calls.last.request) == {"ssid": SSID, "agentIds": ["1", "14"]}
    assert outcomes(result) == [("1", CadOutcome.SUCCEEDED), ("14", CadOutcome.SUCCEEDED)]


def test_unset_cad_calls_unset_cad(client, api):
    route = api.post(UNSETCAD_URL).mock(side_effect=all_succeed)

    result = client.unset_cad(["3"])

    assert route.call_count == 1 and result.succeeded == 1


def test_ids_are_batched_by_the_configured_size_and_all_accounted_for(config, api):
    route = api.post(SETCAD_URL).mock(side_effect=all_succeed)
    ids = [str(i) for i in range(1, 251)]

    with DeepCallClient(config) as deepcall:
        result = deepcall.set_cad(ids)

    assert [len(request_json(c.request)["agentIds"]) for c in route.calls] == [100, 100, 50]
    assert [r.agent_id for r in result.results] == ids
    assert result.succeeded == 250


def test_cad_batches_dedupe_and_cut(small_batches):
    assert small_batches.cad_batches([1, "1", 2, 3, " 4 "]) == [["1", "2"], ["3", "4"]]


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

    result = client.cad_batch(CadAction.ENABLE, ["1", "2", "3"])

    assert [(r.agent_id, r.outcome, r.message) for r in result.results] == [
        ("1", CadOutcome.SUCCEEDED, ""),
        ("2", CadOutcome.FAILED, "Invalid agentId"),
        ("3", CadOutcome.FAILED, NO_ANSWER_MESSAGE),
    ]


def test_cad_batch_raises_typed_errors(client, api):
    api.post(SETCAD_URL).respond(200, json={"status": "error", "code": 1000, "message": "x"})

    with pytest.raises(InvalidRequestError):
        client.cad_batch(CadAction.ENABLE, ["1"])


def test_cad_batch_refuses_more_ids_than_the_batch_size(small_batches):
    with pytest.raises(ValueError, match="limit is 2"):
        small_batches.cad_batch(CadAction.ENABLE, ["1", "2", "3"])


def test_cad_batch_of_nothing_makes_no_call(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=all_succeed)

    assert client.cad_batch("enable", []).results == ()
    assert route.call_count == 0


def test_a_failing_batch_is_not_attempted_and_later_batches_still_run(small_batches, api):
    def answer(request):
        if request_json(request)["agentIds"] == ["3", "4"]:
            return httpx.Response(200, json={"status": "error", "code": 1501, "message": "busy"})
        return all_succeed(request)

    route = api.post(SETCAD_URL).mock(side_effect=answer)

    result = small_batches.set_cad(["1", "2", "3", "4", "5"])

    assert route.call_count == 3
    assert outcomes(result) == [
        ("1", CadOutcome.SUCCEEDED),
        ("2", CadOutcome.SUCCEEDED),
        ("3", CadOutcome.NOT_ATTEMPTED),
        ("4", CadOutcome.NOT_ATTEMPTED),
        ("5", CadOutcome.SUCCEEDED),
    ]
    assert "Data already in processing" in result.results[2].message
    assert result.results[2].code == 1501


def test_an_authentication_error_stops_the_remaining_batches(small_batches, api):
    route = api.post(SETCAD_URL).respond(
        200, json={"status": "error", "code": 1014, "message": "Invalid token"}
    )

    result = small_batches.set_cad(["1", "2", "3", "4", "5"])

    assert route.call_count == 1
    assert {r.outcome for r in result.results} == {CadOutcome.NOT_ATTEMPTED}
    assert len(result.results) == 5 and all(r.code == 1014 for r in result.results)


# --- the CAD retry policy: only when nothing was sent -----------------------------------------


@pytest.mark.parametrize("fault", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
def test_cad_is_retried_when_the_connection_could_not_be_opened(client, api, fault):
    route = api.post(SETCAD_URL).mock(side_effect=[fault, all_succeed])

    result = client.cad_batch(CadAction.ENABLE, ["1"])

    assert route.call_count == 2 and result.succeeded == 1


def test_cad_connect_retries_are_bounded(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(UpstreamUnavailableError) as caught:
        client.cad_batch(CadAction.ENABLE, ["1"])

    assert route.call_count == CAD_RETRY_ATTEMPTS
    assert caught.value.request_sent is False
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_cad_is_not_retried_after_a_read_timeout(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamTimeoutError) as caught:
        client.cad_batch(CadAction.ENABLE, ["1"])

    assert route.call_count == 1 and caught.value.request_sent is True


@pytest.mark.parametrize("status", [500, 502, 503])
def test_cad_is_not_retried_after_a_5xx(client, api, status):
    route = api.post(SETCAD_URL).respond(status, html="<html>bad gateway</html>")

    with pytest.raises(UpstreamUnavailableError):
        client.cad_batch(CadAction.ENABLE, ["1"])

    assert route.call_count == 1


def test_cad_is_not_retried_after_the_connection_dropped_mid_call(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=httpx.RemoteProtocolError("disconnected"))

    with pytest.raises(UpstreamUnavailableError):
        client.cad_batch(CadAction.ENABLE, ["1"])

    assert route.call_count == 1


def test_a_batch_lost_after_sending_says_the_change_is_unconfirmed(client, api):
    api.post(SETCAD_URL).mock(side_effect=httpx.ReadTimeout("slow"))

    result = client.set_cad(["1", "2"])

    assert {r.outcome for r in result.results} == {CadOutcome.NOT_ATTEMPTED}
    assert "may or may not have been applied" in result.results[0].message


def test_set_cad_never_raises_on_upstream_failure(client, api):
    api.post(SETCAD_URL).respond(502, html="<html></html>")

    result = client.set_cad(["1"])

    assert result.results[0].outcome is CadOutcome.NOT_ATTEMPTED


def test_http_401_on_unset_cad_raises_an_authentication_error(client, api):
    api.post(UNSETCAD_URL).respond(401)

    with pytest.raises(AuthenticationError):
        client.cad_batch(CadAction.DISABLE, ["1"])


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

    result = client.set_cad(["1", "2"])

    messages = [r.message for r in result.results]
    assert all(SSID not in m for m in messages), messages
    assert "may not change agent 1" in messages[0]


def test_an_id_with_a_comma_is_sent_alone_and_exactly_as_given(client, api):
    route = api.post(SETCAD_URL).mock(side_effect=all_succeed)

    result = client.set_cad(["1001,1002", "a/b", "ज़ेड"])

    assert request_json(route.calls.last.request)["agentIds"] == ["1001,1002", "a/b", "ज़ेड"]
    assert [r.agent_id for r in result.results] == ["1001,1002", "a/b", "ज़ेड"]
