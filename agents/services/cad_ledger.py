"""The CAD ledger: each agent's CAD state as last set by this dashboard.

`CadState`, one row per agent. DeepCall's list answer does not say whether CAD is on, so this
is all the dashboard knows of it, and it is always shown as such. It is written by
`services.cad_jobs` in the transaction that records a batch, after locking the batch row: a
batch recorded once is never recorded again, so a repeat neither moves the ledger nor counts
twice. Each result keeps the state the ledger had just before (`state_before`), which is what
makes undo exact: it restores that state, and asks about agents whose state before was not
known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from agents.models import CadJob, CadResult, CadState
from agents.services.team_scopes import agents_in_scope


def cad_state_filter_ids(*, state: str) -> QuerySet:
    """Agent ids (a subquery) the ledger says are on or off: the directory's `cad` filter."""
    return CadState.objects.filter(state=state).values("agent_id")


def cad_states(agent_ids) -> dict[str, CadState]:
    """The ledger rows of these agents (one query), by agent id; absent means not set here."""
    return {
        row.agent_id: row
        for row in CadState.objects.filter(agent_id__in=list(agent_ids)).select_related(
            "set_by", "job"
        )
    }


@dataclass(frozen=True, slots=True)
class ListedCadState:
    """A ledger row as a list shows it: the state, when, and who set it (their username; None
    once that user is deleted)."""

    state: str
    set_at: datetime
    set_by: str | None


def cad_states_listed(agent_ids) -> dict[str, ListedCadState]:
    """The ledger's state of a page of agents, by agent id, with only what a list shows of it
    (one query, read as plain values: model instances of the row and its user cost more than
    the query; `cad_states` also reads the job)."""
    rows = CadState.objects.filter(agent_id__in=list(agent_ids)).values_list(
        "agent_id", "state", "set_at", "set_by__username"
    )
    return {
        agent_id: ListedCadState(state, set_at, set_by) for agent_id, state, set_at, set_by in rows
    }


def cad_ledger_version() -> str:
    """Changes whenever the ledger does: part of the cache key of anything a `cad` filter
    selects (the read model's version does not move when a CAD job sets agents)."""
    seen = CadState.objects.aggregate(n=Count("id"), last=Max("set_at"))
    return f"{seen['n']}:{seen['last'].timestamp() if seen['last'] else 0}"


def cad_on_count() -> int:
    """Agents of the directory (in the team scope) with CAD on, as set here (deleted agents are
    not in it)."""
    return (
        CadState.objects.filter(state=CadState.State.ON)
        .filter(agent_id__in=agents_in_scope().values("agent_id"))
        .count()
    )


def cad_ledger_lock_before(ids: list[str]) -> dict[str, str]:
    """The ledger's state of each id, locked until the caller's transaction ends."""
    known = dict(
        CadState.objects.select_for_update()
        .filter(agent_id__in=ids)
        .values_list("agent_id", "state")
    )
    return {i: known.get(i, CadResult.Before.UNKNOWN) for i in ids}


def cad_ledger_set(job: CadJob, agent_ids: list[str], *, now) -> None:
    """Record that this job set these agents to its target state (inside the caller's
    transaction; one upsert, so concurrent batches of other agents never collide)."""
    if not agent_ids:
        return
    CadState.objects.bulk_create(
        [
            CadState(
                agent_id=agent_id,
                state=job.target_state,
                set_at=now,
                set_by_id=job.created_by_id,
                job=job,
            )
            for agent_id in agent_ids
        ],
        update_conflicts=True,
        unique_fields=["agent_id"],
        update_fields=["state", "set_at", "set_by", "job"],
    )
