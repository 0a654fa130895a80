"""Faults the sandbox can inject, so the dashboard's handling of a bad day can be tested.

A `Faults` is plain data: set it per run (command flags), from tests in-process
(`RunningSandbox.set_faults(...)`) or over HTTP (`POST /_sandbox/faults` with the same field
names as JSON). Every random choice comes from a `random.Random(seed)`, so a test that makes
the same calls in the same order sees the same faults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from agents.sandbox.mutations import MAX_RANDOM_CHANGES

API_ACTIONS = ("list", "setCad", "unsetCad")
# A hanging request sleeps this long by default: longer than any client timeout the dashboard
# uses (20 s read timeout), yet bounded so the server's threads always end.
DEFAULT_HANG_SECONDS = 30.0
MAX_HANG_SECONDS = 120.0
MAX_LATENCY_MS = 60_000


class FaultConfigError(ValueError):
    """A fault configuration that cannot be applied (unknown field, wrong type or range)."""


@dataclass(frozen=True, slots=True)
class CadFailure:
    """What setCad/unsetCad answers for one chosen agent: an entry of `data.errors`."""

    message: str = "Data already in processing"
    code: int | None = 1501


@dataclass(frozen=True)
class Faults:
    """One complete fault configuration; the default injects nothing."""

    latency_ms: int = 0  # added to every API call
    jitter_ms: int = 0  # plus a uniform random 0..jitter_ms
    error_rate: float = 0.0  # share of API calls answered with `error_status` and an HTML body
    error_status: int = 502
    fail_next: int = 0  # the next N API calls fail like error_rate (deterministic retries)
    hang_rate: float = 0.0  # share of API calls that sleep `hang_seconds`, then answer 504
    hang_seconds: float = DEFAULT_HANG_SECONDS
    malformed_rate: float = 0.0  # share of API calls answered with truncated (invalid) JSON
    expire_after: int | None = None  # credentials work for N API calls, then 1014
    cad_failures: dict[str, CadFailure] = field(default_factory=dict)  # agent id -> failure
    denied_actions: tuple[str, ...] = ()  # these actions answer 1015 Permission denied
    map_shape: bool = False  # Agent/list answers the documented map shape (`nm`, keyed by id)
    ignore_page: bool = False  # Agent/list ignores `page` and always answers page 1
    # Agent/list sends these agents unreadable: their id is kept, their hours and status are not.
    unreadable_ids: tuple[str, ...] = ()
    actions: tuple[str, ...] = API_ACTIONS  # latency/5xx/hang/malformed hit only these
    # Each unfiltered Agent/list of page 1 (the start of a sync) first makes this many random
    # changes to the agents (agents.sandbox.mutations), so every sync finds something new.
    churn: int = 0
    seed: int = 0  # seeds the fault RNG

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Faults:
        """Build from JSON-like data (the control endpoint's body); unset fields default."""
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultConfigError(f"unknown fault field(s): {', '.join(unknown)}")
        try:
            values = {
                "latency_ms": _int(data, "latency_ms", 0, 0, MAX_LATENCY_MS),
                "jitter_ms": _int(data, "jitter_ms", 0, 0, MAX_LATENCY_MS),
                "error_rate": _rate(data, "error_rate"),
                "error_status": _int(data, "error_status", 502, 500, 599),
                "fail_next": _int(data, "fail_next", 0, 0, 1_000_000),
                "hang_rate": _rate(data, "hang_rate"),
                "hang_seconds": _float(data, "hang_seconds", DEFAULT_HANG_SECONDS),
                "malformed_rate": _rate(data, "malformed_rate"),
                "expire_after": (
                    None
                    if data.get("expire_after") is None
                    else _int(data, "expire_after", 0, 0, 1_000_000_000)
                ),
                "cad_failures": _cad_failures(data.get("cad_failures") or {}),
                "denied_actions": _actions(data.get("denied_actions", ())),
                "map_shape": _bool(data, "map_shape"),
                "ignore_page": _bool(data, "ignore_page"),
                "unreadable_ids": _ids(data.get("unreadable_ids", ())),
                "actions": _actions(data.get("actions", API_ACTIONS)),
                "churn": _int(data, "churn", 0, 0, MAX_RANDOM_CHANGES),
                "seed": _int(data, "seed", 0, -(2**63), 2**63),
            }
        except (TypeError, ValueError) as exc:
            raise FaultConfigError(str(exc)) from exc
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `Faults.from_dict(f.to_dict()) == f`."""
        data = dataclasses.asdict(self)
        data["cad_failures"] = {
            agent_id: {"message": failure.message, "code": failure.code}
            for agent_id, failure in self.cad_failures.items()
        }
        data["denied_actions"] = list(self.denied_actions)
        data["actions"] = list(self.actions)
        data["unreadable_ids"] = list(self.unreadable_ids)
        return data

    def replace(self, **changes: Any) -> Faults:
        """A copy with some fields changed, validated like `from_dict`."""
        return Faults.from_dict({**self.to_dict(), **changes})


def _int(data: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FaultConfigError(f"{name} must be an integer")
    number = int(value)
    if not low <= number <= high:
        raise FaultConfigError(f"{name} must be between {low} and {high}")
    return number


def _float(data: dict[str, Any], name: str, default: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FaultConfigError(f"{name} must be a number")
    number = float(value)
    if not 0 <= number <= MAX_HANG_SECONDS:
        raise FaultConfigError(f"{name} must be between 0 and {MAX_HANG_SECONDS:g}")
    return number


def _rate(data: dict[str, Any], name: str) -> float:
    value = data.get(name, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FaultConfigError(f"{name} must be a number between 0 and 1")
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise FaultConfigError(f"{name} must be between 0 and 1")
    return rate


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise FaultConfigError(f"{name} must be true or false")
    return value


def _actions(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise FaultConfigError("actions must be a list of action names")
    unknown = [a for a in value if a not in API_ACTIONS]
    if unknown:
        raise FaultConfigError(f"unknown action(s) {unknown}; known: {', '.join(API_ACTIONS)}")
    return tuple(value)


def _ids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str | int) for v in value):
        raise FaultConfigError("unreadable_ids must be a list of agent ids")
    return tuple(str(v) for v in value)


def _cad_failures(value: Any) -> dict[str, CadFailure]:
    """{"7": {"code": 1501, "message": "..."}} or {"7": "message"} -> {"7": CadFailure}."""
    if not isinstance(value, dict):
        raise FaultConfigError("cad_failures must map agent ids to {code, message}")
    failures = {}
    for agent_id, spec in value.items():
        if isinstance(spec, CadFailure):
            failure = spec
        elif isinstance(spec, str):
            failure = CadFailure(message=spec, code=None)
        elif isinstance(spec, dict):
            code = spec.get("code", 1501)
            if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
                raise FaultConfigError("cad_failures code must be an integer or null")
            failure = CadFailure(
                message=str(spec.get("message", "Data already in processing")), code=code
            )
        else:
            raise FaultConfigError("cad_failures values must be {code, message} or a message")
        failures[str(agent_id)] = failure
    return failures
