"""The sandbox as a plain WSGI callable: the DeepCall Agent API plus its control endpoints.

No Django here: this is served by the stdlib (`agents.sandbox.server`), fast to start and easy
to test. The API answers as the real one does (see /work/shared/deepcall/agent-api.md):

- `POST /api/v2/Agent/list|setCad|unsetCad` with a JSON body; any or no Content-Type.
- API-level errors are HTTP 200 with `{"status": "error", "code": N, "message": "..."}`, as
  the real API sends them. Only injected faults (and the HTTP layer: unknown path 404, wrong
  method 405) use other HTTP statuses.

Choices the documents leave open, made here:
- Empty body, whitespace or `{}` -> 1047. Invalid JSON or a non-object body -> 1000.
- Credentials: `ssid`, or `userId` + `token`. A key that is absent, null or "" counts as not
  sent. `ssid` together with `userId`/`token` -> 1000; missing or wrong credentials -> 1014.
- `Agent/list`: `page` is 1-based (a positive integer or digit string, else 1000); a page past
  the end answers an empty list; `totalPages` is at least 1. An unknown `agentId` answers an
  empty list (a filter that finds nothing); an unknown or non-numeric `groupid` -> 1006.
  `quick: true` answers only `name`, `unique_id`, `status` and `group`. `withCad: true` (a
  sandbox extension; the real API has no CAD field) adds `"cad": "1"|"0"` to each agent, so
  by default every agent is exactly as published.
- `Agent/setCad|unsetCad`: `agentIds` must be a list (else 1000); ids may be numbers or
  strings and are answered as strings, each id once, in order. Unknown or unreadable ids go to
  `data.errors` with "Invalid agentId" (the 1509 message; the documented entry has no code).
  Agents chosen by the `cad_failures` fault go to `data.errors` with their message and, when
  given, a `code`.

Control endpoints (no credentials; the sandbox listens on 127.0.0.1 by default):
    GET  /_sandbox/state    {"agents", "page_size", "cad_on", "calls", "faults", "recent_requests"}
    GET  /_sandbox/faults   the current faults
    POST /_sandbox/faults   replace the faults (JSON fields of `Faults`; unset fields default)
    POST /_sandbox/reset    start-up faults and page size, CAD all off, counters at zero
    POST /_sandbox/cad      {"cad_on": [ids]}: replace the set of agents with CAD on
    POST /_sandbox/config   {"page_size": n}
    POST /_sandbox/mutate   change the agents: {"rename": {id: name}, "hours": {id: working},
                            "groups": {id: [group ids]}, "add": n, "remove": [ids],
                            "pre_delete": [ids], "random": n} (agents.sandbox.mutations);
                            answers the ids changed by each kind. The `churn` fault does
                            `{"random": n}` at the start of each full listing.
Control errors are HTTP 400 with `{"status": "error", "message": "..."}`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from agents.sandbox import SANDBOX_SSID, SANDBOX_TOKEN, SANDBOX_USER_ID
from agents.sandbox.faults import FaultConfigError
from agents.sandbox.identity import PREFIX as IDENTITY_PREFIX
from agents.sandbox.identity import SandboxIdentityProvider
from agents.sandbox.mutations import MutationError
from agents.sandbox.state import SandboxState

API_PREFIX = "/api/v2/Agent/"
CONTROL_PREFIX = "/_sandbox/"
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html"
# Request bodies above this are refused (413): a CAD batch of 100 000 ids is well under it.
MAX_BODY_BYTES = 10 * 1024 * 1024

# The published messages for each code (seeds/*.txt).
MESSAGES = {
    1000: "invalid parameter",
    1006: "GroupId does not exist",
    1014: "Invalid token",
    1015: "Permission denied",
    1047: "Invalid request",
    1509: "Invalid agentId",
}
CAD_MESSAGES = {
    "setCad": "CAD setting process completed.",
    "unsetCad": "CAD unset process completed.",
}
QUICK_FIELDS = ("name", "unique_id", "status", "group")

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

StartResponse = Callable[..., Any]


class ApiError(Exception):
    """An API-level error: answered as HTTP 200 with the error JSON, like the real API."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, "error")
        super().__init__(self.message)

    def payload(self) -> dict[str, Any]:
        return {"status": "error", "code": self.code, "message": self.message}


def proxy_error_page(status: int) -> bytes:
    """An HTML error page like a reverse proxy's, for injected 5xx answers."""
    title = f"{status} {_REASONS.get(status, 'Server Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def _dumps(payload: Any) -> bytes:
    # orjson: a page of 200 agents in 0.08 ms against json's 1 ms. The server's threads share
    # one GIL, so each of a listing's concurrent page calls waited out the others' encoding.
    return orjson.dumps(payload)


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Unknown')}"


class SandboxApp:
    """WSGI callable serving the Agent API and the control endpoints from one `SandboxState`."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        # The development OpenID provider (single sign-on), under /oidc/.
        self.identity = SandboxIdentityProvider()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(IDENTITY_PREFIX + "/"):
            try:
                body = _read_body(environ)
            except ValueError:
                body = b""
            status, headers, body = self.identity.handle(method, path, environ, body)
            start_response(_status_line(status), [*headers, ("Content-Length", str(len(body)))])
            return [body]
        if path.startswith(CONTROL_PREFIX):
            status, content_type, body = self._control(method, path, environ)
        elif path.startswith(API_PREFIX):
            action = path[len(API_PREFIX) :].strip("/")
            if action not in CAD_MESSAGES and action != "list":
                status, content_type, body = (
                    404,
                    JSON_TYPE,
                    _dumps({"status": "error", "code": 404, "message": "Not found"}),
                )
            elif method != "POST":
                status, content_type, body = (
                    405,
                    JSON_TYPE,
                    _dumps({"status": "error", "code": 405, "message": "Method not allowed"}),
                )
            else:
                status, content_type, body = self._api(action, environ)
        else:
            status, content_type, body = (
                404,
                JSON_TYPE,
                _dumps({"status": "error", "code": 404, "message": "Not found"}),
            )
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        if status == 405:
            headers.append(("Allow", "POST"))
        start_response(_status_line(status), headers)
        return [body]

    # --- the API ---------------------------------------------------------------------------

    def _api(self, action: str, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        state = self.state
        try:
            raw = _read_body(environ)
        except ValueError:
            return 413, JSON_TYPE, _dumps({"status": "error", "code": 413, "message": "Too large"})
        data, error = _parse(raw)
        plan = state.record_call(
            action,
            environ.get("CONTENT_TYPE", ""),
            data if error is None else raw[:500].decode("utf-8", "replace"),
        )
        if plan.hang:
            state.sleep(plan.hang)
            return 504, HTML_TYPE, proxy_error_page(504)
        state.sleep(plan.delay)
        if plan.error_status:
            return plan.error_status, HTML_TYPE, proxy_error_page(plan.error_status)
        try:
            if error is not None:
                raise error
            self._authenticate(data)
            if action in state.faults.denied_actions:
                raise ApiError(1015)
            payload = self._list(data) if action == "list" else self._cad(action, data)
        except ApiError as exc:
            payload = exc.payload()
        body = _dumps(payload)
        if plan.malformed:
            # Cut mid-document: never valid JSON, as a dropped connection or a buggy proxy gives.
            body = body[: max(1, len(body) // 2)]
        return 200, JSON_TYPE, body

    def _authenticate(self, data: dict[str, Any]) -> None:
        ssid, user_id, token = (_present(data, key) for key in ("ssid", "userId", "token"))
        if ssid is not None and (user_id is not None or token is not None):
            raise ApiError(1000, "invalid parameter: send ssid, or userId and token, not both")
        if ssid is not None:
            valid = secrets.compare_digest(str(ssid), SANDBOX_SSID)
        elif user_id is not None and token is not None:
            valid = secrets.compare_digest(str(user_id), SANDBOX_USER_ID) & secrets.compare_digest(
                str(token), SANDBOX_TOKEN
            )
        else:
            valid = False
        if not valid or not self.state.count_authenticated_call():
            raise ApiError(1014)

    def _list(self, data: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        page = _page(data.get("page", 1))
        agent_id = _present(data, "agentId")
        name = _present(data, "name")
        group_id = _present(data, "groupid")
        if state.faults.churn and page == 1 and (agent_id, name, group_id) == (None, None, None):
            state.mutate({"random": state.faults.churn})
        dataset = state.dataset
        quick = _truthy(data.get("quick"))
        with_cad = _truthy(data.get("withCad"))
        faults = state.faults
        page_size = state.page_size

        if group_id is not None:
            gid_text = str(group_id).strip()
            if isinstance(group_id, bool) or not gid_text.isdigit():
                raise ApiError(1006)
            gid = int(gid_text)
            if gid not in dataset.groups:
                raise ApiError(1006)
        agents = dataset.agents
        if agent_id is not None or name is not None or group_id is not None:
            if agent_id is not None:
                position = dataset.positions.get(str(agent_id).strip())
                candidates = [] if position is None else [(position, agents[position])]
            else:
                candidates = list(enumerate(agents))
            if group_id is not None:
                candidates = [(i, a) for i, a in candidates if gid in a["group"]]
            if name is not None:
                needle = str(name).lower()
                lowers = dataset.names_lower
                candidates = [(i, a) for i, a in candidates if needle in lowers[i]]
            agents = [a for _, a in candidates]

        total = len(agents)
        total_pages = max(1, -(-total // page_size))
        if faults.ignore_page:
            page = 1
        start = (page - 1) * page_size
        chosen = agents[start : start + page_size]
        if faults.unreadable_ids:
            unreadable = set(faults.unreadable_ids)
            chosen = [
                {**a, "working": "unreadable", "status": "unknown"}
                if str(a["unique_id"]) in unreadable
                else a
                for a in chosen
            ]

        if quick:
            chosen = [{k: a[k] for k in QUICK_FIELDS} for a in chosen]
        if with_cad:
            cad_on = state.cad_snapshot()
            chosen = [{**a, "cad": "1" if str(a["unique_id"]) in cad_on else "0"} for a in chosen]
        response: list[dict[str, Any]] | dict[str, dict[str, Any]]
        if faults.map_shape:
            # The documented shape: a map of id -> agent, the name in `nm`, no `unique_id`.
            response = {
                str(a["unique_id"]): {
                    ("nm" if k == "name" else k): v for k, v in a.items() if k != "unique_id"
                }
                for a in chosen
            }
        else:
            response = chosen
        return {
            "response": response,
            "agtLimit": dataset.agt_limit,
            "currentPage": page,
            "totalPages": total_pages,
            "totalRecords": total,
            "status": "success",
            "code": 200,
        }

    def _cad(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        ids = data.get("agentIds")
        if not isinstance(ids, list):
            raise ApiError(1000)
        failures = state.faults.cad_failures
        by_id = state.dataset.by_id
        updated: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        changed: list[str] = []
        seen: set[str] = set()
        for raw in ids:
            answered, key = _agent_id(raw)
            if answered in seen:
                continue
            seen.add(answered)
            failure = failures.get(answered) or (failures.get(key) if key else None)
            if failure is not None:
                entry: dict[str, Any] = {"agentId": answered, "message": failure.message}
                if failure.code is not None:
                    entry["code"] = failure.code
                errors.append(entry)
            elif key is None or key not in by_id:
                errors.append({"agentId": answered, "message": MESSAGES[1509]})
            else:
                updated.append({"agentId": answered, "status": "success"})
                changed.append(key)
        state.apply_cad(changed, on=action == "setCad")
        return {
            "status": "success",
            "code": 200,
            "message": CAD_MESSAGES[action],
            "data": {"updatedAgents": updated, "errors": errors},
        }

    # --- control endpoints -----------------------------------------------------------------

    def _control(self, method: str, path: str, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        state = self.state
        route = path[len(CONTROL_PREFIX) :].strip("/")
        if method == "GET" and route == "state":
            return 200, JSON_TYPE, _dumps(state.snapshot())
        if method == "GET" and route == "faults":
            return 200, JSON_TYPE, _dumps({"faults": state.faults.to_dict()})
        if route not in ("faults", "reset", "cad", "config", "state", "mutate"):
            return 404, JSON_TYPE, _dumps({"status": "error", "message": "Not found"})
        if method != "POST" or route == "state":
            return 405, JSON_TYPE, _dumps({"status": "error", "message": "Method not allowed"})
        try:
            raw = _read_body(environ)
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            if route == "faults":
                faults = state.set_faults(body)
                return 200, JSON_TYPE, _dumps({"status": "ok", "faults": faults.to_dict()})
            if route == "mutate":
                changed = state.mutate(body)
                return 200, JSON_TYPE, _dumps({"status": "ok", "changed": changed})
            if route == "reset":
                state.reset()
            elif route == "cad":
                ids = body.get("cad_on")
                if not isinstance(ids, list):
                    raise ValueError("cad_on must be a list of agent ids")
                state.set_cad_on(ids)
            else:  # config
                size = body.get("page_size")
                if isinstance(size, bool) or not isinstance(size, int):
                    raise ValueError("page_size must be an integer")
                state.set_page_size(size)
        except (ValueError, FaultConfigError, MutationError) as exc:  # JSONDecodeError too
            return 400, JSON_TYPE, _dumps({"status": "error", "message": str(exc)})
        return 200, JSON_TYPE, _dumps({"status": "ok", **state.snapshot()})


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise ValueError("body too large")
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(length)


def _parse(raw: bytes) -> tuple[dict[str, Any], ApiError | None]:
    """The request's JSON object, or the API error its body deserves."""
    if not raw.strip():
        return {}, ApiError(1047)
    try:
        data = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return {}, ApiError(1000)
    if not isinstance(data, dict):
        return {}, ApiError(1000)
    if not data:
        return data, ApiError(1047)
    return data, None


def _present(data: dict[str, Any], key: str) -> Any:
    """The value of `key`, or None when it is absent, null or an empty string."""
    value = data.get(key)
    return None if value is None or value == "" else value


def _truthy(value: Any) -> bool:
    return (
        value is True
        or value == 1
        or (isinstance(value, str) and value.lower() in ("1", "true", "yes"))
    )


def _page(value: Any) -> int:
    if isinstance(value, bool):
        raise ApiError(1000, "invalid parameter: page")
    if isinstance(value, int):
        page = value
    elif isinstance(value, str) and value.strip().isdigit():
        page = int(value)
    else:
        raise ApiError(1000, "invalid parameter: page")
    if page < 1:
        raise ApiError(1000, "invalid parameter: page")
    return page


def _agent_id(raw: Any) -> tuple[str, str | None]:
    """(the id as answered, the dataset key or None when it cannot be an agent id)."""
    if isinstance(raw, bool) or raw is None:
        return json.dumps(raw), None
    if isinstance(raw, int):
        return str(raw), str(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.isascii() and text.isdigit():
            return raw, str(int(text))
        # Ids are opaque (agent-api.md): any other text is looked up exactly as sent.
        return raw, raw
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw)), str(int(raw))
    return json.dumps(raw, ensure_ascii=False), None
