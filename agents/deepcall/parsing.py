"""DeepCall JSON → typed records. The agents' `password` and `call_pass` die here.

The parser copies the fields it knows by name into frozen records and never keeps the raw
dict, so a secret of the payload cannot reach an object, a repr, a log line, a cache or a row.
A reason for skipping an agent names fields, never their values.

Tolerated: numbers sent as strings (and the reverse), missing optional fields, both shapes of
`response` (a list of agents with `unique_id`/`name`, or a map id → agent with `nm`), `group`
ids without a name in `groupNames`. An agent without a usable id or name, or with a working
window that cannot be read, is skipped and reported, and the rest of the list still parses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from .errors import UpstreamUnavailableError, scrub
from .records import (
    END_OF_DAY_MARKER,
    WEEKDAYS,
    AgentRecord,
    CadAgentResult,
    CadBatchResult,
    CadOutcome,
    GroupRef,
    SkippedAgent,
    WorkingWindow,
)

# The agent fields that are secrets: never read, only named here so tests and the redaction
# helper agree on them.
AGENT_SECRET_FIELDS: frozenset[str] = frozenset({"password", "call_pass"})

NO_ANSWER_MESSAGE = "no answer from DeepCall for this agent"

_WEEKDAY_INDEX = {name: i for i, name in enumerate(WEEKDAYS)}


class MalformedAgent(ValueError):
    """One agent entry cannot be read; the message names the field, never its value."""


def _unexpected_shape(what: str) -> UpstreamUnavailableError:
    return UpstreamUnavailableError(
        "DeepCall sent an answer the dashboard cannot read. Please try again later.",
        api_message=f"unexpected shape: {what}",
    )


# --- scalars ----------------------------------------------------------------------------------


def normalize_id(value: object) -> str | None:
    """An id as a string: 7 and 7.0 → "7"; text exactly as given, spaces at its ends included
    ("007" stays "007", " 7" stays " 7": ids are opaque, agent-api.md); None for anything
    unusable (blank, longer than 64, unprintable)."""
    if isinstance(value, str):
        usable = value.strip() and len(value) <= 64 and value.isprintable()
        return value if usable else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    return None


def _text(value: object) -> str:
    if type(value) is str:  # nearly every field: the checks below are for the rest
        return value.strip()  # type: ignore[union-attr]
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float | str):
        return str(value).strip()
    return ""


def _int(value: object, field: str) -> int:
    if type(value) is int:
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        raise MalformedAgent(f"{field} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isascii() and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise MalformedAgent(f"{field} is not a number")


def _is_active(value: object) -> bool:
    if value is None or value == "":
        return True  # missing: the API lists active agents unless it says otherwise
    try:
        number = _int(value, "status")
    except MalformedAgent:
        number = None
    if number in (0, 1):
        return number == 1
    raise MalformedAgent("status is neither 0 nor 1")


def _flag(value: object, field: str) -> bool:
    """`isDeleted`/`preDeleted`: 1, "1" or true is set; 0, "0", false, empty or absent is not."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    try:
        number = _int(value, field)
    except MalformedAgent:
        number = None
    if number in (0, 1):
        return number == 1
    raise MalformedAgent(f"{field} is neither 0 nor 1")


def _created_at(value: object) -> datetime | None:
    try:
        seconds = _int(value, "create_date")
    except MalformedAgent:
        return None
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- groups, windows, DIDs --------------------------------------------------------------------


def _group_names(value: object) -> dict[str, str]:
    """`groupNames`: a list of one-entry dicts `{"17": "Perm"}` (or, tolerated, one dict)."""
    entries: Iterable[object]
    if isinstance(value, Mapping):
        entries = [value]
    elif isinstance(value, list):
        entries = value
    else:
        return {}
    names: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        for raw_id, raw_name in entry.items():
            group_id = normalize_id(raw_id)
            name = _text(raw_name)
            if group_id is not None and name and group_id not in names:
                names[group_id] = name
    return names


def group_label(group_id: str) -> str:
    """The label of a group DeepCall gave no name for."""
    return f"Group {group_id}"


def _groups(raw_groups: object, raw_names: object) -> tuple[GroupRef, ...]:
    names = _group_names(raw_names)
    if isinstance(raw_groups, list):
        ids: list[object] = list(raw_groups)
    elif isinstance(raw_groups, str | int) and not isinstance(raw_groups, bool):
        ids = str(raw_groups).split(",")
    else:
        ids = []
    ordered: list[str] = []
    for raw in [*ids, *names]:  # ids named only in groupNames still count
        group_id = normalize_id(raw)
        if group_id is not None and group_id not in ordered:
            ordered.append(group_id)
    return tuple(GroupRef(g, names.get(g) or group_label(g)) for g in ordered)


def _minute(value: object, field: str) -> int:
    minute = _int(value, field)
    if not 0 <= minute <= END_OF_DAY_MARKER:
        raise MalformedAgent(f"working window {field} is out of range")
    return minute


def _windows(value: object) -> tuple[WorkingWindow, ...]:
    if value is None or value == "" or value == {}:
        return ()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        raise MalformedAgent("working is not a list")
    windows: list[WorkingWindow] = []
    for raw in value:
        if not isinstance(raw, Mapping):
            raise MalformedAgent("a working window is not an object")
        raw_days = raw.get("wDays")
        if isinstance(raw_days, str):
            raw_days = [d for d in raw_days.split(",") if d.strip()]
        if not isinstance(raw_days, list):
            raise MalformedAgent("working window wDays is not a list")
        days: set[int] = set()
        for day in raw_days:
            index = _WEEKDAY_INDEX.get(day.strip().upper()[:3]) if isinstance(day, str) else None
            if index is None:
                raise MalformedAgent("working window has an unknown weekday")
            days.add(index)
        windows.append(
            WorkingWindow(
                weekdays=tuple(sorted(days)),
                start_minute=_minute(raw.get("from"), "from"),
                end_minute=_minute(raw.get("to"), "to"),
            )
        )
    return tuple(windows)


def _dids(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        items = [_text(v) for v in value]
    elif isinstance(value, str | int) and not isinstance(value, bool):
        items = [part.strip() for part in str(value).split(",")]
    else:
        items = []
    return tuple(dict.fromkeys(item for item in items if item))


# --- agents -----------------------------------------------------------------------------------


# Part of every fingerprint: bump it when the same entry should parse differently, so that
# what was recognised by its fingerprint is parsed again.
FINGERPRINT_VERSION = 1


def agent_fingerprint(raw: Mapping[str, object], *, fallback_id: object = None) -> str | None:
    """A hash of one agent entry as DeepCall sent it, with its secrets left out (so nothing
    kept depends on them); None when the entry cannot be serialised.

    Equal fingerprints mean equal entries, which parse to equal records: a sync recognises an
    unchanged agent by it without parsing the entry at all. Hashed with orjson, whose sorted
    serialisation costs a tenth of parsing the entry.
    """
    clean = {key: value for key, value in raw.items() if key not in AGENT_SECRET_FIELDS}
    try:
        text = orjson.dumps(
            [FINGERPRINT_VERSION, fallback_id, clean],
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        )
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a foreign type
        return None
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _agent_id(raw: Mapping[str, object], fallback_id: object) -> str | None:
    """The agent's id: `unique_id`, else `agentId`, else the key of the map shape."""
    agent_id = normalize_id(raw.get("unique_id"))
    if agent_id is None:
        agent_id = normalize_id(raw.get("agentId")) or normalize_id(fallback_id)
    return agent_id


def parse_agent(raw: object, *, fallback_id: object = None, fingerprint: str = "") -> AgentRecord:
    """Build one AgentRecord from one agent object, reading only the fields we keep.

    `fallback_id` is the key of the map shape; `fingerprint` the entry's agent_fingerprint.
    Raises MalformedAgent when the entry is unusable.
    """
    if not isinstance(raw, Mapping):
        raise MalformedAgent("the entry is not an object")
    agent_id = _agent_id(raw, fallback_id)
    if agent_id is None:
        raise MalformedAgent("no usable unique_id")
    name = _text(raw.get("name")) or _text(raw.get("nm"))
    if not name:
        raise MalformedAgent("no name")
    return AgentRecord(
        agent_id=agent_id,
        name=name,
        email=_text(raw.get("email")),
        phone=_text(raw.get("phone")),
        address=_text(raw.get("address")),
        dest_type=_text(raw.get("dest_type")).upper(),
        dest_value=_text(raw.get("dest_value")),
        role_id=normalize_id(raw.get("role")) or "",
        role_name=_text(raw.get("roleName")),
        is_active=_is_active(raw.get("status")),
        created_at=_created_at(raw.get("create_date")),
        parent_path=_text(raw.get("parent")),
        groups=_groups(raw.get("group"), raw.get("groupNames")),
        windows=_windows(raw.get("working")),
        dids=_dids(raw.get("allowDid")),
        is_deleted=_flag(raw.get("isDeleted"), "isDeleted"),
        pending_deletion=_flag(raw.get("preDeleted"), "preDeleted"),
        fingerprint=fingerprint,
    )


@dataclass(frozen=True, slots=True)
class AgentPage:
    """One page of `Agent/list`, parsed."""

    agents: tuple[AgentRecord, ...]
    skipped: tuple[SkippedAgent, ...]
    current_page: int | None
    total_pages: int | None
    total_records: int | None
    # Ids of the entries the caller said it holds unchanged (see parse_agent_page): not parsed.
    unchanged_ids: tuple[str, ...] = ()


def _optional_int(value: object) -> int | None:
    try:
        return _int(value, "paging")
    except MalformedAgent:
        return None


def _entries(response: object) -> list[tuple[object, object]]:
    """(fallback id, raw agent) pairs from either shape of `response`."""
    if isinstance(response, list):
        return [(None, raw) for raw in response]
    if isinstance(response, Mapping):
        # A single agent object rather than a map of them (seen with agentId filters elsewhere).
        if "unique_id" in response and not isinstance(response.get("unique_id"), Mapping):
            return [(None, response)]
        return list(response.items())
    if response is None or response == "":
        return []
    raise _unexpected_shape("response is neither a list nor an object")


# What reading one agent may raise beyond MalformedAgent when a value is of a kind nobody
# foresaw; their messages may quote the value, so the reason given is UNREADABLE_REASON.
UNREADABLE = (MalformedAgent, ValueError, TypeError, KeyError, AttributeError, OverflowError)
UNREADABLE_REASON = "a field could not be read"


def _readable_id(raw: object, fallback_id: object) -> str:
    try:
        raw_id = raw.get("unique_id") if isinstance(raw, Mapping) else None
        return normalize_id(raw_id) or normalize_id(fallback_id) or ""
    except UNREADABLE:
        return ""


# Given {agent id: fingerprint} of a page's entries, the ids the caller holds exactly so.
UnchangedFilter = Callable[[Mapping[str, str]], Collection[str]]


def parse_agent_page(
    body: Mapping[str, object], *, unchanged: UnchangedFilter | None = None
) -> AgentPage:
    """Parse a successful `Agent/list` body. Raises UpstreamUnavailableError on a wrong shape.

    With `unchanged`, each entry is fingerprinted first and the entries whose id and
    fingerprint the caller already holds are not parsed: they come back as `unchanged_ids`.
    """
    if "response" not in body:
        raise _unexpected_shape("no response field in Agent/list")
    entries = _entries(body["response"])
    fingerprints: list[str | None] = []
    ids: list[str | None] = []
    for fallback_id, raw in entries:
        if isinstance(raw, Mapping):
            fingerprints.append(agent_fingerprint(raw, fallback_id=fallback_id))
            try:
                ids.append(_agent_id(raw, fallback_id))
            except UNREADABLE:
                ids.append(None)
        else:
            fingerprints.append(None)
            ids.append(None)
    same: Collection[str] = ()
    if unchanged is not None:
        known: dict[str, str] = {}
        for agent_id, fingerprint in zip(ids, fingerprints, strict=True):
            if agent_id is not None and fingerprint is not None:
                known.setdefault(agent_id, fingerprint)  # the first entry of an id counts
        same = unchanged(known) if known else ()
    agents: list[AgentRecord] = []
    skipped: list[SkippedAgent] = []
    unchanged_ids: list[str] = []
    seen: set[str] = set()
    for (fallback_id, raw), agent_id, fingerprint in zip(entries, ids, fingerprints, strict=True):
        if agent_id in same and agent_id not in seen:
            seen.add(agent_id)
            unchanged_ids.append(agent_id)
            continue
        try:
            agent = parse_agent(raw, fallback_id=fallback_id, fingerprint=fingerprint or "")
        except UNREADABLE as exc:
            # One agent nobody can read never ends the listing; the reason names no value.
            reason = str(exc) if isinstance(exc, MalformedAgent) else UNREADABLE_REASON
            skipped.append(SkippedAgent(agent_id=_readable_id(raw, fallback_id), reason=reason))
            continue
        if agent.agent_id in seen:
            continue
        seen.add(agent.agent_id)
        agents.append(agent)
    return AgentPage(
        agents=tuple(agents),
        skipped=tuple(skipped),
        current_page=_optional_int(body.get("currentPage")),
        total_pages=_optional_int(body.get("totalPages")),
        total_records=_optional_int(body.get("totalRecords")),
        unchanged_ids=tuple(unchanged_ids),
    )


# --- CAD --------------------------------------------------------------------------------------


def _entry_list(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _unexpected_shape(f"data.{key} is not a list")
    return [entry for entry in value if isinstance(entry, Mapping)]


def parse_cad_answer(
    body: Mapping[str, object], agent_ids: Sequence[str], *, secrets: Iterable[str] = ()
) -> CadBatchResult:
    """Account for every id of one setCad/unsetCad call, in the order they were sent.

    An id listed in `errors` failed with the API's message (even if also listed as updated),
    scrubbed of `secrets` as a whole-answer error's message is; one listed in `updatedAgents`
    with status "success" succeeded; any other id failed with NO_ANSWER_MESSAGE. Ids the API
    names but we did not send are ignored.
    """
    secrets = tuple(secrets)
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise _unexpected_shape("no data object in the CAD answer")
    errors: dict[str, CadAgentResult] = {}
    for entry in _entry_list(data, "errors"):
        agent_id = normalize_id(entry.get("agentId"))
        if agent_id is None or agent_id in errors:
            continue
        message = scrub(_text(entry.get("message")), secrets)[:300] or "DeepCall reported a failure"
        code = _optional_int(entry.get("code"))
        errors[agent_id] = CadAgentResult(agent_id, CadOutcome.FAILED, message, code)
    updated: dict[str, CadAgentResult] = {}
    for entry in _entry_list(data, "updatedAgents"):
        agent_id = normalize_id(entry.get("agentId"))
        if agent_id is None or agent_id in updated:
            continue
        status = _text(entry.get("status")).lower()
        if status in ("success", ""):
            updated[agent_id] = CadAgentResult(agent_id, CadOutcome.SUCCEEDED)
        else:
            updated[agent_id] = CadAgentResult(
                agent_id,
                CadOutcome.FAILED,
                f"DeepCall reported status {scrub(status, secrets)[:40]!r}",
            )
    results = []
    for agent_id in agent_ids:
        results.append(
            errors.get(agent_id)
            or updated.get(agent_id)
            or CadAgentResult(agent_id, CadOutcome.FAILED, NO_ANSWER_MESSAGE)
        )
    return CadBatchResult(results=tuple(results))
