"""The error tree and the one function that maps an answer to its class."""

import pickle

import pytest

from agents.deepcall import (
    APIError,
    AuthenticationError,
    DeepCallError,
    InvalidRequestError,
    PermissionDeniedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
    error_for_code,
    error_from_answer,
)
from agents.deepcall.errors import AGENT_ERROR_DESCRIPTIONS, scrub

PUBLISHED_15XX = {
    1501: "Data already in processing",
    1502: "Invalid filter value",
    1503: "Invalid role id",
    1504: "Invalid parent",
    1505: "Invalid group data",
    1506: "AgentId and parent could not be same",
    1507: "Invalid AgentID",
    1508: "Invalid status value",
    1509: "Invalid agentId",
    1510: "Invalid Destination",
    1511: "Working time format is invalid",
    1512: "Email already exists",
    1513: "Invalid type",
    1514: "Invalid mobile Number",
    1515: "Invalid Name",
    1516: "Invalid Did Number",
    1517: "Your agentid and your loginid must be same",
    1518: "Data could not be updated",
    1519: "Call Password must be Integer and Eight digit",
    1520: "You must be single field update",
    1521: "Please Provide Only Valid fields",
    1522: "You could not inserted your data. Please try again",
    1523: "Your agent information is already added",
    1524: "Invalid Action",
    1525: "Invalid Targetagent Id",
    1526: "Invalid Id",
    1527: "Invalid Type",
    1528: "Invalid Favorite Data",
    1529: "Invalid Domain",
    1530: "Invalid Agent Timing",
}


def error_body(code, message="m"):
    return {"status": "error", "code": code, "message": message}


def test_the_15xx_table_is_the_published_one():
    assert AGENT_ERROR_DESCRIPTIONS == PUBLISHED_15XX


@pytest.mark.parametrize("code", sorted(PUBLISHED_15XX))
def test_each_15xx_code_is_an_invalid_request_with_its_published_description(code):
    error = error_for_code(code, "whatever the API said")

    assert type(error) is InvalidRequestError
    assert error.code == code
    assert PUBLISHED_15XX[code] in error.user_message
    assert str(code) in error.user_message


@pytest.mark.parametrize(
    ("code", "cls", "words"),
    [
        (1000, InvalidRequestError, "invalid parameters"),
        (1006, InvalidRequestError, "group does not exist"),
        (1047, InvalidRequestError, "empty"),
        (1014, AuthenticationError, "credentials"),
        (1015, PermissionDeniedError, "not allowed"),
    ],
)
def test_each_contract_code_maps_to_its_class_and_message(code, cls, words):
    error = error_for_code(code)

    assert type(error) is cls
    assert error.code == code
    assert words in error.user_message
    assert str(code) in error.user_message


def test_1014_and_1015_tell_the_admin_what_to_do():
    assert "DEEPCALL_TOKEN" in error_for_code(1014).admin_hint
    assert "renew" in error_for_code(1014).user_message
    assert "grant" in error_for_code(1015).admin_hint


def test_an_unknown_code_still_gives_a_clear_message_with_the_code():
    error = error_for_code(1999, "Something odd")

    assert type(error) is APIError
    assert "1999" in error.user_message and "Something odd" in error.user_message
    assert error.code == 1999


def test_every_class_is_a_deepcall_error():
    for cls in (
        APIError,
        AuthenticationError,
        PermissionDeniedError,
        InvalidRequestError,
        UpstreamUnavailableError,
        UpstreamTimeoutError,
    ):
        assert issubclass(cls, DeepCallError)
    assert issubclass(UpstreamTimeoutError, UpstreamUnavailableError)


def test_success_answer_is_no_error():
    assert error_from_answer(200, {"status": "success", "code": 200, "response": []}) is None


def test_error_json_with_http_200_is_an_error():
    error = error_from_answer(200, error_body(1014, "Invalid token"))

    assert isinstance(error, AuthenticationError)
    assert error.http_status == 200 and error.api_message == "Invalid token"


def test_error_code_sent_as_a_string_is_read():
    assert isinstance(error_from_answer(200, error_body("1015")), PermissionDeniedError)


def test_error_status_without_code_is_an_api_error_with_a_clear_message():
    error = error_from_answer(200, {"status": "error", "message": "nope"})

    assert type(error) is APIError and "no error code" in error.user_message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_without_json_is_upstream_unavailable_and_retryable(status):
    error = error_from_answer(status, None)

    assert type(error) is UpstreamUnavailableError
    assert error.retryable and error.http_status == status and str(status) in error.user_message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (400, InvalidRequestError),
        (422, InvalidRequestError),
        (404, APIError),
        (405, APIError),
    ],
)
def test_4xx_without_body_maps_by_http_status(status, cls):
    error = error_from_answer(status, None)

    assert type(error) is cls and error.http_status == status and error.code is None


def test_404_points_the_admin_at_the_base_url():
    assert "DEEPCALL_BASE_URL" in error_from_answer(404, None).admin_hint


def test_http_200_that_is_not_json_is_upstream_unavailable_not_retryable():
    error = error_from_answer(200, None)

    assert type(error) is UpstreamUnavailableError and not error.retryable


def test_json_code_wins_over_a_5xx_status():
    assert isinstance(error_from_answer(500, error_body(1509)), InvalidRequestError)


def test_credentials_echoed_by_the_api_are_scrubbed_from_the_error():
    error = error_from_answer(
        200, error_body(1014, "Invalid token tok-123 for ssid-9"), secrets=("tok-123", "ssid-9")
    )

    text = f"{error} {error.user_message} {error.api_message} {error.admin_hint} {error!r}"
    assert "tok-123" not in text and "ssid-9" not in text


def test_scrub_ignores_empty_secrets():
    assert scrub("abc", ["", "b"]) == "a[redacted]c"


def test_errors_survive_pickling_with_their_fields():
    original = UpstreamTimeoutError(request_sent=False, retryable=True, http_status=None)
    copy = pickle.loads(pickle.dumps(original))  # noqa: S301

    assert type(copy) is UpstreamTimeoutError
    assert (copy.user_message, copy.request_sent, copy.retryable) == (
        original.user_message,
        False,
        True,
    )
    auth = pickle.loads(pickle.dumps(error_for_code(1014)))  # noqa: S301
    assert auth.code == 1014 and auth.admin_hint == error_for_code(1014).admin_hint
