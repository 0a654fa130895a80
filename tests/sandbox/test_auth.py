"""Authentication and request-level errors, as the published documents describe them."""

import httpx
import pytest

from tests.sandbox.support import SSID, TOKEN, api, call

ERROR_KEYS = {"status", "code", "message"}


def assert_error(response, code: int) -> None:
    # API errors come with HTTP 200, as the real API sends them.
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == "error"
    assert body["code"] == code
    assert body["message"]


@pytest.mark.parametrize("credentials", [SSID, TOKEN], ids=["ssid", "userId+token"])
def test_either_kind_of_credentials_is_accepted(sandbox, credentials):
    response = call(sandbox, "list", credentials)
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    assert response.headers["content-type"].startswith("application/json")


def test_a_body_without_content_type_is_accepted_like_the_published_curl(sandbox):
    response = call(sandbox, "list", SSID, headers={"Content-Type": ""})
    assert response.json()["code"] == 200


def test_a_form_content_type_is_accepted_like_curl_data_raw(sandbox):
    response = call(
        sandbox, "list", SSID, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.json()["code"] == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"ssid": "wrong"},
        {"userId": "sandbox-user", "token": "wrong"},
        {"userId": "someone", "token": "sandbox-token"},
        {"userId": "sandbox-user"},
        {"token": "sandbox-token"},
        {"ssid": ""},
        {"agentId": "2"},
    ],
)
def test_wrong_or_missing_credentials_answer_1014(sandbox, credentials):
    assert_error(call(sandbox, "list", credentials), 1014)


def test_ssid_together_with_user_id_and_token_is_refused(sandbox):
    assert_error(call(sandbox, "list", {**SSID, **TOKEN}), 1000)


@pytest.mark.parametrize("content", [b"", b"   \n", b"{}"])
@pytest.mark.parametrize("action", ["list", "setCad", "unsetCad"])
def test_an_empty_body_answers_1047(sandbox, action, content):
    assert_error(call(sandbox, action, content=content), 1047)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"ssid"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_answers_1000(sandbox, content):
    assert_error(call(sandbox, "list", content=content), 1000)


@pytest.mark.parametrize(
    "body",
    [
        {**SSID},
        {**SSID, "agentIds11": ["2"]},
        {**SSID, "agentIds": "2"},
        {**SSID, "agentIds": 2},
        {**SSID, "agentIds": {"2": 1}},
    ],
)
@pytest.mark.parametrize("action", ["setCad", "unsetCad"])
def test_agent_ids_missing_or_not_an_array_answer_1000(sandbox, action, body):
    assert_error(call(sandbox, action, body), 1000)


def test_credentials_are_checked_before_parameters(sandbox):
    assert_error(call(sandbox, "setCad", {"ssid": "wrong", "agentIds": "2"}), 1014)


def test_an_unknown_group_answers_1006(sandbox):
    assert_error(call(sandbox, "list", {**SSID, "groupid": "999"}), 1006)
    assert_error(call(sandbox, "list", {**SSID, "groupid": "sales"}), 1006)


@pytest.mark.parametrize("page", [0, -1, "two", True, 1.5])
def test_an_invalid_page_answers_1000(sandbox, page):
    assert_error(call(sandbox, "list", {**SSID, "page": page}), 1000)


def test_unknown_paths_and_methods_answer_404_and_405(sandbox):
    assert httpx.post(f"{sandbox.url}/api/v2/Agent/delete", json=SSID).status_code == 404
    assert httpx.post(f"{sandbox.url}/elsewhere", json=SSID).status_code == 404
    response = httpx.get(sandbox.api_url("list"))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_a_chunked_body_is_read(sandbox):
    def chunks():
        yield b'{"ssid":'
        yield b'"sandbox-ssid"}'

    response = httpx.post(sandbox.api_url("list"), content=chunks())
    assert response.json()["code"] == 200


def test_keep_alive_serves_several_calls_on_one_connection(sandbox):
    with httpx.Client() as client:
        for _ in range(3):
            assert client.post(sandbox.api_url("list"), json=SSID).json()["code"] == 200
    assert api(sandbox, "list")["code"] == 200
