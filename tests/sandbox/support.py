"""Small helpers shared by the sandbox tests: real HTTP calls with httpx."""

import json
from pathlib import Path

import httpx

from agents.sandbox import SANDBOX_SSID, SANDBOX_TOKEN, SANDBOX_USER_ID

DATA = Path(__file__).with_name("data")
SSID = {"ssid": SANDBOX_SSID}
TOKEN = {"userId": SANDBOX_USER_ID, "token": SANDBOX_TOKEN}
TIMEOUT = 5.0
# One keep-alive client for the whole session: a new client per call costs ~20 ms.
_CLIENT = httpx.Client()


def published_example() -> dict:
    """The published Agent/list answer (a copy of /work/shared/deepcall/examples/)."""
    return json.loads((DATA / "agent-list-response.json").read_text(encoding="utf-8"))


def call(sandbox, action: str, body=None, *, content=None, timeout=TIMEOUT, **kwargs):
    """POST to the sandbox's API; `body` goes as JSON, `content` as raw bytes."""
    if content is None:
        content = json.dumps(body).encode() if body is not None else b""
    return _CLIENT.post(sandbox.api_url(action), content=content, timeout=timeout, **kwargs)


def api(sandbox, action: str, **fields) -> dict:
    """An authenticated call (ssid) answered with HTTP 200 and JSON; returns the JSON."""
    response = call(sandbox, action, {**SSID, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def all_agents(sandbox, **fields) -> list[dict]:
    """Every agent of Agent/list, page by page."""
    agents, page = [], 1
    while True:
        answer = api(sandbox, "list", page=page, **fields)
        agents.extend(answer["response"])
        if page >= answer["totalPages"]:
            return agents
        page += 1
