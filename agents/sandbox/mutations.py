"""Changing the sandbox's agents between syncs, so the change history can be shown and tested.

A mutation is plain JSON (the body of `POST /_sandbox/mutate`):

    {"rename": {"7": "Priya Sharma"},                     agent id -> new name
     "hours": {"7": [{"wDays": ["MON"], "from": 540, "to": 1080}]},   new `working`
     "groups": {"7": [30, 34]},                           new group ids (of the account's)
     "add": 2,                                            new generated agents
     "remove": ["8"],                                     gone from the listing
     "pre_delete": ["9"],                                 `preDeleted: 1`
     "random": 5}                                         5 random changes of the kinds above

Nothing is changed in place: `apply_mutation` returns a new `Dataset`, which the state swaps
in under its lock, so a listing being answered keeps reading the old one. Random changes come
from the caller's `random.Random`, so the same seed gives the same changes.
"""

from __future__ import annotations

import random
from typing import Any

from agents.sandbox.data import (
    _FIRST_NAMES,
    _LAST_NAMES,
    _WORKING_PATTERNS,
    WEEKDAYS,
    Dataset,
    generate_agents,
)

MUTATION_KINDS = ("rename", "hours", "groups", "add", "remove", "pre_delete")
# Bounds on one request: enough for the 1 % of 100,000 agents the benchmark changes.
MAX_RANDOM_CHANGES = 10_000
MAX_ADDED = 10_000


class MutationError(ValueError):
    """A mutation that cannot be applied (unknown field or agent, wrong type)."""


def apply_mutation(
    dataset: Dataset, spec: dict[str, Any], rng: random.Random
) -> tuple[Dataset, dict[str, list[str]]]:
    """The dataset with `spec` applied, and the ids changed by each kind of change."""
    unknown = sorted(set(spec) - {*MUTATION_KINDS, "random"})
    if unknown:
        raise MutationError(f"unknown mutation field(s): {', '.join(unknown)}")
    agents = list(dataset.agents)
    positions = dict(dataset.positions)
    done: dict[str, list[str]] = {kind: [] for kind in MUTATION_KINDS}

    def edit(agent_id: Any, **fields: Any) -> None:
        key = str(agent_id)
        if key not in positions:
            raise MutationError(f"no agent with id {key!r}")
        index = positions[key]
        agents[index] = {**agents[index], **fields}

    for agent_id, name in _mapping(spec, "rename").items():
        if not isinstance(name, str) or not name.strip():
            raise MutationError("rename maps agent ids to non-empty names")
        edit(agent_id, name=name)
        done["rename"].append(str(agent_id))
    for agent_id, working in _mapping(spec, "hours").items():
        edit(agent_id, working=_working(working, agent_id))
        done["hours"].append(str(agent_id))
    for agent_id, group_ids in _mapping(spec, "groups").items():
        edit(agent_id, **_groups(group_ids, dataset.groups))
        done["groups"].append(str(agent_id))
    for agent_id in _ids(spec, "pre_delete"):
        edit(agent_id, preDeleted=1)
        done["pre_delete"].append(agent_id)

    random_count = _count(spec, "random", MAX_RANDOM_CHANGES)
    to_add = _count(spec, "add", MAX_ADDED)
    to_remove = set(_ids(spec, "remove"))
    for agent_id in to_remove:
        if agent_id not in positions:
            raise MutationError(f"no agent with id {agent_id!r}")
    for _ in range(random_count):
        kind = rng.choice(MUTATION_KINDS)
        if kind == "add":
            to_add += 1
            continue
        candidates = len(agents)
        if not candidates:
            break
        agent = agents[rng.randrange(candidates)]
        agent_id = str(agent["unique_id"])
        if agent_id in to_remove:
            continue
        if kind == "remove":
            to_remove.add(agent_id)
        elif kind == "rename":
            edit(agent_id, name=_random_name(rng, agent["name"]))
        elif kind == "hours":
            edit(agent_id, working=_random_working(rng, agent))
        elif kind == "groups":
            groups = _random_groups(rng, agent["group"], dataset.groups)
            edit(agent_id, **_groups(groups, dataset.groups))
        else:
            edit(agent_id, preDeleted=1)
        done[kind].append(agent_id)
    done["remove"] = sorted(to_remove)

    if to_remove:
        agents = [a for a in agents if str(a["unique_id"]) not in to_remove]
    if to_add:
        first_id = 1 + max((int(k) for k in positions if k.isdigit()), default=0)
        added = generate_agents(to_add, seed=rng.randrange(2**32), first_id=first_id)
        agents.extend(added)
        done["add"] = [str(a["unique_id"]) for a in added]
    return Dataset.build(agents, dataset.groups), done


def _mapping(spec: dict[str, Any], name: str) -> dict[str, Any]:
    value = spec.get(name) or {}
    if not isinstance(value, dict):
        raise MutationError(f"{name} must map agent ids to values")
    return value


def _ids(spec: dict[str, Any], name: str) -> list[str]:
    value = spec.get(name) or []
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or any(isinstance(v, bool) for v in value):
        raise MutationError(f"{name} must be a list of agent ids")
    return [str(v) for v in value]


def _count(spec: dict[str, Any], name: str, high: int) -> int:
    value = spec.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise MutationError(f"{name} must be a number of changes between 0 and {high}")
    return value


def _working(value: Any, agent_id: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise MutationError("hours maps agent ids to lists of {wDays, from, to}")
    windows = []
    for window in value:
        if not isinstance(window, dict):
            raise MutationError("each window is {wDays, from, to}")
        days, start, end = window.get("wDays"), window.get("from"), window.get("to")
        if not isinstance(days, list) or any(d not in WEEKDAYS for d in days):
            raise MutationError(f"wDays must be a list of {', '.join(WEEKDAYS)}")
        for minute in (start, end):
            if isinstance(minute, bool) or not isinstance(minute, int) or not 0 <= minute < 1440:
                raise MutationError("from and to are minutes of the day (0-1439)")
        windows.append({"wDays": days, "from": start, "to": end, "agentId": agent_id})
    return windows


def _groups(value: Any, known: dict[int, str]) -> dict[str, Any]:
    if not isinstance(value, list):
        raise MutationError("groups maps agent ids to lists of group ids")
    group_ids: list[int] = []
    for raw in value:
        text = "" if isinstance(raw, bool) or not isinstance(raw, int | str) else str(raw).strip()
        if not text.isdigit() or int(text) not in known:
            raise MutationError(f"unknown group id {raw!r}; known: {sorted(known)}")
        if int(text) not in group_ids:
            group_ids.append(int(text))
    return {"group": group_ids, "groupNames": [{str(g): known[g]} for g in group_ids]}


def _random_name(rng: random.Random, current: str) -> str:
    while True:
        first = rng.choice(_FIRST_NAMES)[0]
        last = rng.choice(_LAST_NAMES)[0]
        name = f"{first} {last}" if last else first
        if name != current:
            return name


def _random_working(rng: random.Random, agent: dict[str, Any]) -> list[dict[str, Any]]:
    current = [(w["wDays"], w["from"], w["to"]) for w in agent["working"]]
    while True:
        pattern = [(list(days), start, end) for days, start, end in rng.choice(_WORKING_PATTERNS)]
        if pattern != current:
            return [
                {"wDays": days, "from": start, "to": end, "agentId": agent["unique_id"]}
                for days, start, end in pattern
            ]


def _random_groups(rng: random.Random, current: list[int], known: dict[int, str]) -> list[int]:
    """One group more or one less than now."""
    groups = list(current)
    spare = [gid for gid in known if gid not in groups]
    if groups and (not spare or rng.random() < 0.5):
        groups.remove(rng.choice(groups))
    else:
        groups.append(rng.choice(spare))
    return groups
