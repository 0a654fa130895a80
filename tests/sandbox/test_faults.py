"""Injected faults: each one, set in-process or over the control endpoint, deterministically.

Delays are checked by what the sandbox was asked to sleep (its `state.sleep`), not by a clock:
a busy machine makes any bound on elapsed time flaky, and a sleep shortened by a bug shows
here just the same."""

import threading

import httpx
import pytest

from agents.sandbox.faults import FaultConfigError, Faults
from tests.sandbox.support import SSID, api, call


def statuses(sandbox, n: int) -> list[int]:
    return [call(sandbox, "list", SSID).status_code for _ in range(n)]


def test_no_faults_by_default(sandbox):
    assert sandbox.state.faults == Faults()
    assert statuses(sandbox, 5) == [200] * 5


@pytest.fixture
def sleeps(sandbox, monkeypatch) -> list[float]:
    """Every sleep the sandbox takes while answering, in seconds (each one still slept)."""
    taken: list[float] = []
    real_sleep = sandbox.state.sleep

    def recorded(seconds: float) -> None:
        taken.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(sandbox.state, "sleep", recorded)
    return taken


def test_latency_delays_every_call(sandbox, sleeps):
    sandbox.set_faults(latency_ms=200)
    api(sandbox, "list")
    api(sandbox, "list")
    assert sleeps == [0.2, 0.2]


def test_jitter_adds_a_bounded_random_delay_the_same_for_a_seed(sandbox, sleeps):
    sandbox.set_faults(latency_ms=50, jitter_ms=100, seed=3)
    for _ in range(3):
        api(sandbox, "list")
    first = list(sleeps)
    assert all(0.05 <= delay <= 0.15 for delay in first)
    assert len(set(first)) == 3  # random, not one fixed delay
    sleeps.clear()
    sandbox.set_faults(latency_ms=50, jitter_ms=100, seed=3)
    for _ in range(3):
        api(sandbox, "list")
    assert sleeps == first


def test_error_rate_answers_5xx_with_a_proxy_html_page(sandbox):
    sandbox.set_faults(error_rate=1.0, error_status=503)
    response = call(sandbox, "list", SSID)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>503 Service Unavailable</h1>" in response.text


def test_a_share_of_errors_is_deterministic_for_a_seed(sandbox):
    sandbox.set_faults(error_rate=0.5, seed=42)
    first = statuses(sandbox, 20)
    sandbox.set_faults(error_rate=0.5, seed=42)
    assert statuses(sandbox, 20) == first
    assert 3 <= first.count(502) <= 17
    assert set(first) == {200, 502}


def test_fail_next_fails_exactly_that_many_calls(sandbox):
    sandbox.set_faults(fail_next=2)
    assert statuses(sandbox, 4) == [502, 502, 200, 200]


def test_a_hanging_call_outlasts_the_client_timeout_and_reset_releases_it(sandbox, monkeypatch):
    hanging, released = threading.Event(), threading.Event()
    real_sleep = sandbox.state.sleep

    def watched(seconds: float) -> None:
        hanging.set()
        real_sleep(seconds)
        released.set()

    monkeypatch.setattr(sandbox.state, "sleep", watched)
    sandbox.set_faults(hang_rate=1.0, hang_seconds=120)
    with pytest.raises(httpx.ReadTimeout):
        call(sandbox, "list", SSID, timeout=0.3)
    assert hanging.wait(60) and not released.is_set()  # still hanging after the client left
    sandbox.reset()
    # Only the reset can end the two minutes' hang within the wait (a guard, should it not).
    assert released.wait(60)
    assert api(sandbox, "list")["code"] == 200


def test_a_bounded_hang_ends_with_a_gateway_timeout(sandbox, sleeps):
    sandbox.set_faults(hang_rate=1.0, hang_seconds=0.2)
    response = call(sandbox, "list", SSID)
    assert sleeps == [0.2]
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/html")


def test_malformed_answers_are_not_json(sandbox):
    sandbox.set_faults(malformed_rate=1.0)
    response = call(sandbox, "list", SSID)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()


def test_credentials_expire_after_n_calls(sandbox):
    sandbox.set_faults(expire_after=2)
    codes = [call(sandbox, "list", SSID).json()["code"] for _ in range(4)]
    assert codes == [200, 200, 1014, 1014]


def test_faults_can_target_one_action(sandbox):
    sandbox.set_faults(error_rate=1.0, actions=["setCad"])
    assert call(sandbox, "list", SSID).status_code == 200
    assert call(sandbox, "setCad", {**SSID, "agentIds": ["2"]}).status_code == 502
    assert sandbox.cad_on == set()


def test_faults_are_set_over_the_control_endpoint(sandbox):
    response = httpx.post(f"{sandbox.url}/_sandbox/faults", json={"fail_next": 1, "latency_ms": 1})
    assert response.status_code == 200
    assert response.json()["faults"]["fail_next"] == 1
    assert statuses(sandbox, 2) == [502, 200]
    assert httpx.get(f"{sandbox.url}/_sandbox/faults").json()["faults"]["latency_ms"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"error_rat": 1},
        {"error_rate": 2},
        {"latency_ms": "slow"},
        {"map_shape": "yes"},
        {"actions": ["delete"]},
        {"cad_failures": ["5"]},
        {"hang_seconds": 1000},
    ],
)
def test_invalid_faults_are_refused_with_400(sandbox, body):
    response = httpx.post(f"{sandbox.url}/_sandbox/faults", json=body)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    with pytest.raises(FaultConfigError):
        Faults.from_dict(body)


def test_faults_round_trip_through_json():
    faults = Faults.from_dict(
        {
            "error_rate": 0.25,
            "cad_failures": {"5": "busy"},
            "denied_actions": ["setCad"],
            "expire_after": 3,
        }
    )
    assert Faults.from_dict(faults.to_dict()) == faults
