"""Fixtures of the DeepCall client's unit tests: no network, no database, no waiting."""

import copy
import json
from pathlib import Path

import httpx
import pytest
import respx
import stamina

from agents.deepcall import DeepCallClient, DeepCallConfig

DATA = Path(__file__).parent / "data"
BASE_URL = "https://brand.deepcall.test"
LIST_URL = f"{BASE_URL}/api/v2/Agent/list"
SETCAD_URL = f"{BASE_URL}/api/v2/Agent/setCad"
UNSETCAD_URL = f"{BASE_URL}/api/v2/Agent/unsetCad"
SSID = "ssid-7f3c9e1b2a"
USER_ID = "user-41"
TOKEN = "tok-d41d8cd98f00b204"


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def example_list() -> dict:
    """The real `Agent/list` answer of 7 agents (a fresh copy each time)."""
    return copy.deepcopy(load("agent-list-response.json"))


def example_secrets() -> set[str]:
    """Every password and call_pass value of the example answer."""
    return {
        str(agent[key])
        for agent in load("agent-list-response.json")["response"]
        for key in ("password", "call_pass")
    }


def request_json(request: httpx.Request) -> dict:
    return json.loads(request.content)


@pytest.fixture(autouse=True)
def _no_retry_waits():
    # Keep each policy's own attempt counts but never sleep between attempts.
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.fixture
def config() -> DeepCallConfig:
    return DeepCallConfig(base_url=BASE_URL, ssid=SSID, cad_batch_size=100)


@pytest.fixture
def token_config() -> DeepCallConfig:
    return DeepCallConfig(base_url=BASE_URL, user_id=USER_ID, token=TOKEN)


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(config, api):
    with DeepCallClient(config) as deepcall:
        yield deepcall
