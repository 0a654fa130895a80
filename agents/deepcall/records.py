"""Typed records the DeepCall client hands to the rest of the dashboard.

These are what survive the service boundary: plain frozen dataclasses with our names
(`agent_id`, `start_minute`), never the API's (`unique_id`, `from`, `wDays`), and never the
agent's `password` or `call_pass`, which the parser drops before a record is built.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

# Monday first, as the API spells them; index 0..6 is Python's date.weekday().
WEEKDAYS: tuple[str, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

# The contract: `to` = 1439 means the end of the day (24:00), so 0–1439 is the whole day.
END_OF_DAY_MARKER = 1439
MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class GroupRef:
    group_id: str
    name: str


@dataclass(frozen=True, slots=True)
class WorkingWindow:
    """One working window as the API sends it: it starts on each of `weekdays`.

    `start_minute` and `end_minute` are the API's `from` and `to`, unchanged (minutes after
    midnight in the account's time zone). The arithmetic on them lives in `agents/working_hours.py`.
    """

    weekdays: tuple[int, ...]  # 0 = Monday … 6 = Sunday, sorted, unique
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class AgentRecord:
    agent_id: str
    name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    dest_type: str = ""
    dest_value: str = ""
    role_id: str = ""
    role_name: str = ""
    is_active: bool = True
    created_at: datetime | None = None  # aware, UTC
    parent_path: str = ""
    groups: tuple[GroupRef, ...] = ()
    windows: tuple[WorkingWindow, ...] = ()
    dids: tuple[str, ...] = ()
    # `isDeleted: 1`: deleted in DeepCall, kept out of the read model by the sync.
    is_deleted: bool = False
    # `preDeleted: 1`: scheduled for deletion but still there ("Pending deletion").
    pending_deletion: bool = False
    # A hash of the entry as DeepCall sent it, secrets left out (parsing.agent_fingerprint):
    # the same fingerprint again means the same record. Not part of the agent's value.
    fingerprint: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SkippedAgent:
    """An entry of the API's answer that could not be read; the rest of the list still is."""

    agent_id: str  # as much of an id as could be read, or "" when none
    reason: str


@dataclass(frozen=True, slots=True)
class AgentListing:
    agents: tuple[AgentRecord, ...]
    skipped: tuple[SkippedAgent, ...] = ()
    pages_fetched: int = 1
    total_records: int | None = None  # what the API claimed, for the sync log
    # False when paging stopped early (the server ignored `page`, or the max-pages cap was hit):
    # a sync must then not treat agents missing from the listing as deleted.
    complete: bool = True


class CadOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True, slots=True)
class CadAgentResult:
    agent_id: str
    outcome: CadOutcome
    message: str = ""  # the API's message for a failure, or why it was not attempted
    code: int | None = None


@dataclass(frozen=True, slots=True)
class CadBatchResult:
    """Every id sent in one call, each accounted for exactly once."""

    results: tuple[CadAgentResult, ...] = field(default_factory=tuple)

    @property
    def succeeded(self) -> int:
        return sum(r.outcome is CadOutcome.SUCCEEDED for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.outcome is CadOutcome.FAILED for r in self.results)
