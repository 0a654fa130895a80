"""The sandbox's mutable state: CAD flags, call counters, recent requests, faults, agents.

One `SandboxState` is shared by the server's threads; every change happens under its lock.
A `Dataset` never changes: a mutation (`mutate`, or the `churn` fault) swaps in a new one,
and `reset` brings back the one the sandbox started with.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from agents.sandbox.data import Dataset
from agents.sandbox.faults import API_ACTIONS, Faults
from agents.sandbox.mutations import apply_mutation

# The sandbox's default `Agent/list` page size (the real API's is not documented; the example
# answer of 7 agents does not show it). Large enough that a 300-agent demo is one page.
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 100_000
# How many recent API requests `GET /_sandbox/state` shows (credentials redacted).
RECENT_REQUESTS = 50
_CREDENTIAL_KEYS = ("ssid", "token")


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What the faults decided for one API call, drawn before it is handled."""

    delay: float = 0.0  # seconds
    hang: float = 0.0  # seconds; > 0 means hang, then answer 504
    error_status: int = 0  # > 0 means answer this 5xx with an HTML body
    malformed: bool = False


class SandboxState:
    """Everything a running sandbox remembers between calls."""

    def __init__(
        self, dataset: Dataset, *, page_size: int = DEFAULT_PAGE_SIZE, faults: Faults | None = None
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        self._initial_dataset = dataset
        self.lock = threading.Lock()
        self._initial_page_size = page_size
        self._initial_faults = faults or Faults()
        self._release = threading.Event()
        self.reset()

    # --- controls --------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to start-up: start faults and page size, no CAD on, counters at zero.

        Also wakes every request hanging on a fault, so its thread ends now.
        """
        with self.lock:
            self._release.set()
            self._release = threading.Event()
            self.dataset = self._initial_dataset
            self.mutations = 0
            self.page_size = self._initial_page_size
            self.cad_on: set[str] = set()
            self.calls: Counter[str] = Counter()
            self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_REQUESTS)
            self._apply_faults(self._initial_faults)

    def set_faults(self, faults: Faults | dict[str, Any] | None = None, **fields: Any) -> Faults:
        """Replace the faults (a `Faults`, a dict of its fields, or keyword fields)."""
        if isinstance(faults, Faults):
            new = faults.replace(**fields) if fields else faults
        else:
            new = Faults.from_dict({**(faults or {}), **fields})
        with self.lock:
            self._apply_faults(new)
        return new

    def _apply_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self.fail_remaining = faults.fail_next
        self.authenticated_calls = 0
        self.mutation_rng = random.Random(faults.seed)

    def mutate(self, spec: dict[str, Any]) -> dict[str, list[str]]:
        """Change the agents (see `agents.sandbox.mutations`); returns the ids changed by kind.

        Raises `MutationError` (a ValueError) for a spec that cannot be applied, changing
        nothing.
        """
        with self.lock:
            self.dataset, done = apply_mutation(self.dataset, spec, self.mutation_rng)
            self.mutations += 1
        return done

    def set_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        with self.lock:
            self.page_size = page_size

    def set_cad_on(self, agent_ids) -> None:
        """Replace the set of agents with CAD on (ids as strings or numbers)."""
        with self.lock:
            self.cad_on = {str(a) for a in agent_ids}

    def release_hanging(self) -> None:
        """Wake every request hanging on a fault (at shutdown)."""
        self._release.set()

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready: what `GET /_sandbox/state` answers."""
        with self.lock:
            return {
                "agents": len(self.dataset.agents),
                "mutations": self.mutations,
                "page_size": self.page_size,
                "cad_on": sorted(self.cad_on, key=_id_sort_key),
                "calls": {action: self.calls[action] for action in (*API_ACTIONS, "total")},
                "faults": self.faults.to_dict(),
                "recent_requests": list(self.recent),
            }

    # --- used by the app -------------------------------------------------------------------

    def record_call(self, action: str, content_type: str, body: Any) -> FaultPlan:
        """Count one API call, remember it, and draw its faults (in a fixed order)."""
        with self.lock:
            self.calls[action] += 1
            self.calls["total"] += 1
            self.recent.append(
                {"action": action, "content_type": content_type, "body": _redacted(body)}
            )
            faults = self.faults
            if action not in faults.actions:
                return FaultPlan()
            rand = self.rng.random
            # Always draw the same numbers per call, so one fault's rate never shifts another's.
            hang_draw, error_draw, malformed_draw, jitter_draw = rand(), rand(), rand(), rand()
            if faults.hang_rate and hang_draw < faults.hang_rate:
                return FaultPlan(hang=faults.hang_seconds)
            delay = (faults.latency_ms + jitter_draw * faults.jitter_ms) / 1000
            if self.fail_remaining > 0:
                self.fail_remaining -= 1
                return FaultPlan(delay=delay, error_status=faults.error_status)
            if faults.error_rate and error_draw < faults.error_rate:
                return FaultPlan(delay=delay, error_status=faults.error_status)
            malformed = bool(faults.malformed_rate and malformed_draw < faults.malformed_rate)
            return FaultPlan(delay=delay, malformed=malformed)

    def count_authenticated_call(self) -> bool:
        """True while the credentials are still valid under `expire_after`."""
        with self.lock:
            self.authenticated_calls += 1
            limit = self.faults.expire_after
            return limit is None or self.authenticated_calls <= limit

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake early on reset or shutdown."""
        if seconds > 0:
            self._release.wait(seconds)

    def apply_cad(self, agent_ids: list[str], *, on: bool) -> None:
        with self.lock:
            if on:
                self.cad_on.update(agent_ids)
            else:
                self.cad_on.difference_update(agent_ids)

    def cad_snapshot(self) -> frozenset[str]:
        with self.lock:
            return frozenset(self.cad_on)


def _id_sort_key(agent_id: str) -> tuple[int, int | str]:
    return (0, int(agent_id)) if agent_id.isdigit() else (1, agent_id)


def _redacted(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: ("***" if k in _CREDENTIAL_KEYS else v) for k, v in body.items()}
    return body
