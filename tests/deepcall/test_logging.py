"""Every call is logged with its figures, and no credential or agent secret reaches a log."""

import logging
import pickle

import httpx
import pytest

from agents.deepcall import DeepCallClient, redact

from .conftest import LIST_URL, SETCAD_URL, SSID, TOKEN, example_list, example_secrets, load


def everything_logged(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.__dict__))
    parts.append(caplog.text)
    return "\n".join(parts)


@pytest.fixture
def capture(caplog):
    caplog.set_level(logging.DEBUG)  # everything, every logger (httpx, stamina, ours)
    return caplog


def test_a_list_call_is_logged_with_action_duration_agents_page_and_outcome(client, api, capture):
    api.post(LIST_URL).respond(200, json=example_list())

    client.list_agents()

    (record,) = [
        r
        for r in capture.records
        if r.name == "agents.deepcall" and getattr(r, "deepcall_action", None)
    ]
    assert record.deepcall_action == "list"
    assert record.deepcall_page == 1
    assert record.deepcall_agents == 7
    assert record.deepcall_outcome == "ok"
    assert isinstance(record.deepcall_duration_ms, int)


def test_a_failed_call_logs_its_error_class_and_code(client, api, capture):
    api.post(LIST_URL).respond(200, json={"status": "error", "code": 1015, "message": "no"})

    with pytest.raises(Exception, match="not allowed"):
        client.list_agents()

    outcomes = [r.deepcall_outcome for r in capture.records if hasattr(r, "deepcall_outcome")]
    assert outcomes == ["PermissionDeniedError code=1015 http=200"]


@pytest.mark.parametrize("config_name", ["config", "token_config"])
def test_logs_contain_no_credential_and_no_agent_password(request, api, capture, config_name):
    config = request.getfixturevalue(config_name)
    api.post(LIST_URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(200, json=example_list()),
            # An API that echoes the credentials back in its error message.
            httpx.Response(
                200,
                json={
                    "status": "error",
                    "code": 1014,
                    "message": f"Invalid token {' / '.join(config.secrets())}",
                },
            ),
        ]
    )
    api.post(SETCAD_URL).respond(200, json=load("setcad-response.json"))

    with DeepCallClient(config) as deepcall:
        listing = deepcall.list_agents()
        cad = deepcall.cad_batch(enable=True, agent_ids=["1", "14"])
        with pytest.raises(Exception) as caught:
            deepcall.list_agents()

    logged = everything_logged(capture)
    error = caught.value
    shown = [
        logged,
        repr(listing),
        repr(cad),
        str(error),
        error.user_message,
        error.admin_hint,
        error.api_message,
        repr(error),
        pickle.dumps(listing).decode("latin1"),
        pickle.dumps(error).decode("latin1"),
    ]
    for text in shown:
        for secret in (SSID, TOKEN, *example_secrets()):
            assert secret not in text
    assert "[redacted]" in error.api_message
    assert "DeepCall list" in logged  # the capture did see our lines


def test_config_repr_hides_credentials(config, token_config):
    assert SSID not in repr(config) and TOKEN not in repr(token_config)
    assert SSID not in repr(DeepCallClient(config))


def test_redact_masks_credentials_and_agent_secrets_at_any_depth():
    payload = {
        "ssid": SSID,
        "token": TOKEN,
        "userId": "u1",
        "agentIds": ["1"],
        "response": [{"name": "a", "password": "p", "call_pass": "c"}],
    }

    assert redact(payload) == {
        "ssid": "[redacted]",
        "token": "[redacted]",
        "userId": "u1",
        "agentIds": ["1"],
        "response": [{"name": "a", "password": "[redacted]", "call_pass": "[redacted]"}],
    }
    assert payload["ssid"] == SSID  # a copy, the original untouched
