"""The one exception tree of the DeepCall client, and the one function that maps an answer to it.

    DeepCallError                     .code, .user_message, .admin_hint, .http_status
    ├── APIError                      DeepCall answered with an error code (unknown codes land here)
    │   ├── AuthenticationError       1014 (or HTTP 401 without a body)
    │   ├── PermissionDeniedError     1015 (or HTTP 403 without a body)
    │   └── InvalidRequestError       1000, 1006, 1047, 1501–1530 (or HTTP 400/404/… without a body)
    └── UpstreamUnavailableError      connection errors, 5xx, bodies that are not JSON or not the
        └── UpstreamTimeoutError      expected shape; timeouts

Views catch `DeepCallError` and show `user_message`; admins read `admin_hint`. No message ever
carries a credential: the API's own message is scrubbed of them before it is kept (see `scrub`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The published agent error table (seeds/agent-list.txt), verbatim.
AGENT_ERROR_DESCRIPTIONS: dict[int, str] = {
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

AUTH_ADMIN_HINT = (
    "DeepCall rejected the dashboard's credentials (invalid or expired session id or token). "
    "An administrator must issue a new ssid, or a new userId and token, in the DeepCall account, "
    "update DEEPCALL_SSID or DEEPCALL_USER_ID/DEEPCALL_TOKEN in the server's environment, and "
    "restart the dashboard."
)
PERMISSION_ADMIN_HINT = (
    "The DeepCall user whose credentials the dashboard uses is not allowed to use the Agent API. "
    "An administrator must grant that user the agent permissions in DeepCall, or configure the "
    "credentials of a user who has them."
)
UPSTREAM_ADMIN_HINT = (
    "Check that DeepCall is up and reachable from the server, and that DEEPCALL_BASE_URL is the "
    "account's brand URL. The dashboard retries briefly on its own; this error means it gave up."
)
BAD_URL_ADMIN_HINT = (
    "DeepCall did not recognise the address the dashboard called: check DEEPCALL_BASE_URL "
    "(the account's brand URL, without /api/v2)."
)

_REDACTED = "[redacted]"


class DeepCallError(Exception):
    """Base of every error the DeepCall client raises.

    `code` is the API's error code, or None when there was none (a timeout, an HTML page, …).
    `user_message` is safe to show to a supervisor; `admin_hint` says what an admin must do.
    """

    default_user_message = "DeepCall could not complete the request."
    default_admin_hint = ""

    def __init__(
        self,
        user_message: str | None = None,
        *,
        code: int | None = None,
        admin_hint: str | None = None,
        http_status: int | None = None,
        api_message: str = "",
    ) -> None:
        self.user_message = user_message or self.default_user_message
        self.code = code
        self.admin_hint = self.default_admin_hint if admin_hint is None else admin_hint
        self.http_status = http_status
        self.api_message = api_message  # the API's own text, already scrubbed of credentials
        super().__init__(self.user_message)

    def __str__(self) -> str:
        return self.user_message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the keyword-only fields across pickling (task queues pickle exceptions). The
        # httpx cause is not pickled, so neither is the request that carried the credentials.
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(cls: type[DeepCallError], args: tuple[Any, ...], state: dict[str, Any]):
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class APIError(DeepCallError):
    """DeepCall answered, with an error. Unknown codes are raised as this class itself."""


class AuthenticationError(APIError):
    default_user_message = (
        "The dashboard's DeepCall credentials are invalid or have expired. "
        "Ask an administrator to renew them."
    )
    default_admin_hint = AUTH_ADMIN_HINT


class PermissionDeniedError(APIError):
    default_user_message = (
        "DeepCall refused: the account the dashboard uses is not allowed to do this. "
        "Ask an administrator."
    )
    default_admin_hint = PERMISSION_ADMIN_HINT


class InvalidRequestError(APIError):
    default_user_message = "DeepCall rejected the request as invalid."


class UpstreamUnavailableError(DeepCallError):
    """DeepCall could not be reached, failed (5xx), or answered something we cannot read."""

    default_user_message = "DeepCall is not reachable right now. Please try again in a few minutes."
    default_admin_hint = UPSTREAM_ADMIN_HINT

    def __init__(
        self,
        user_message: str | None = None,
        *,
        request_sent: bool = True,
        retryable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(user_message, **kwargs)
        # False only when the failure happened before any byte of the request left (connect
        # errors): the one case in which a non-idempotent call (CAD) may be retried.
        self.request_sent = request_sent
        self.retryable = retryable  # safe to retry an idempotent call (list)


class UpstreamTimeoutError(UpstreamUnavailableError):
    default_user_message = "DeepCall took too long to answer. Please try again in a few minutes."


# --- mapping ----------------------------------------------------------------------------------

# Codes the contract names, besides the 15xx table.
_KNOWN_CODES: dict[int, tuple[type[APIError], str]] = {
    1000: (InvalidRequestError, "DeepCall rejected the request: invalid parameters (code 1000)."),
    1006: (InvalidRequestError, "That group does not exist in DeepCall (code 1006)."),
    1014: (AuthenticationError, AuthenticationError.default_user_message + " (code 1014)"),
    1015: (PermissionDeniedError, PermissionDeniedError.default_user_message + " (code 1015)"),
    1047: (InvalidRequestError, "DeepCall rejected the request: it was empty (code 1047)."),
}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with every occurrence of each non-empty secret replaced by a marker."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def error_for_code(
    code: int | None,
    api_message: str = "",
    *,
    http_status: int | None = None,
) -> APIError:
    """Build the typed error for an API error code (`api_message` must already be scrubbed)."""
    if code in _KNOWN_CODES:
        cls, user_message = _KNOWN_CODES[code]
        return cls(user_message, code=code, http_status=http_status, api_message=api_message)
    if code in AGENT_ERROR_DESCRIPTIONS:
        return InvalidRequestError(
            f"DeepCall rejected the request: {AGENT_ERROR_DESCRIPTIONS[code]} (code {code}).",
            code=code,
            http_status=http_status,
            api_message=api_message,
        )
    detail = f": {api_message}" if api_message else ""
    label = f"code {code}" if code is not None else "no error code"
    return APIError(
        f"DeepCall answered with an error this dashboard does not know ({label}){detail}.",
        code=code,
        http_status=http_status,
        api_message=api_message,
        admin_hint="An unexpected DeepCall error code; check DeepCall's documentation or support.",
    )


def error_for_http_status(http_status: int) -> DeepCallError:
    """Build the typed error for an HTTP error status that came without a readable error code."""
    if http_status >= 500:
        return UpstreamUnavailableError(
            f"DeepCall is having trouble (HTTP {http_status}). Please try again in a few minutes.",
            http_status=http_status,
            retryable=True,
        )
    if http_status == 401:
        return AuthenticationError(http_status=http_status)
    if http_status == 403:
        return PermissionDeniedError(http_status=http_status)
    if http_status == 429:
        return UpstreamUnavailableError(
            "DeepCall is busy (too many requests). Please try again in a minute.",
            http_status=http_status,
            retryable=True,
        )
    if http_status in (404, 405) or 300 <= http_status < 400:
        return APIError(
            f"DeepCall could not be used at the configured address (HTTP {http_status}).",
            http_status=http_status,
            admin_hint=BAD_URL_ADMIN_HINT,
        )
    return InvalidRequestError(
        f"DeepCall rejected the request (HTTP {http_status}).", http_status=http_status
    )


def _as_code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def error_from_answer(
    http_status: int,
    body: object,
    *,
    secrets: Iterable[str] = (),
) -> DeepCallError | None:
    """Map one answer of DeepCall (HTTP status and decoded JSON body, or None) to its error.

    Returns None when the answer is a success. An API error code wins over the HTTP status,
    since DeepCall sends errors with HTTP 200 and a proxy may wrap a real answer in a 5xx.
    """
    if isinstance(body, Mapping):
        status = body.get("status")
        code = _as_code(body.get("code"))
        is_error = status == "error" or (code is not None and code != 200 and status != "success")
        if is_error:
            raw_message = body.get("message")
            message = scrub(raw_message, secrets)[:300] if isinstance(raw_message, str) else ""
            return error_for_code(code, message, http_status=http_status)
        if 200 <= http_status < 300 and (status == "success" or code == 200):
            return None
    if not 200 <= http_status < 300:
        return error_for_http_status(http_status)
    return UpstreamUnavailableError(
        "DeepCall sent an answer the dashboard cannot read. Please try again later.",
        http_status=http_status,
    )
