"""Which agents a stored selection stands for: the one answer the CAD job, the bulk bar's count
and the directory's ticks all read.

A selection is either explicit ids (rows ticked one by one), or "all matching" a filter
(`AgentFilters`) minus the rows unticked since (`excluded_ids`). The caller turns whatever it
stored (a session's query string, an API payload, a team's scope) into these typed values;
nothing here reads a query string or a request. Every answer is within the team scope in
force (`agents.team_scope`): "all matching" selects only agents in scope, and so do ids.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import QuerySet

from agents.models import Agent
from agents.services.agent_queries import AgentFilters, agent_matching_count, agents_matching
from agents.services.team_scopes import agents_in_scope
from agents.team_scope import active_team_scope


def agents_selected(
    *,
    agent_ids: Collection[str] = (),
    matching: AgentFilters | None = None,
    excluded_ids: Collection[str] = (),
    now: datetime | None = None,
) -> QuerySet[Agent]:
    """The agents of the read model a selection stands for, unordered.

    With `matching`, every agent those filters select except `excluded_ids` (`agent_ids` is
    then ignored); without it, the agents whose ids are in `agent_ids` (ids the read model no
    longer holds select nothing). `now` is the instant "on shift now" is judged at.
    """
    if matching is None:
        return agents_in_scope(Agent.objects.filter(agent_id__in=list(agent_ids)))
    agents = agents_matching(matching, now=now)
    if excluded_ids:
        agents = agents.exclude(agent_id__in=list(excluded_ids))
    return agents


def agents_selected_count(
    *,
    agent_ids: Collection[str] = (),
    matching: AgentFilters | None = None,
    excluded_ids: Collection[str] = (),
    now: datetime | None = None,
) -> int:
    """How many agents `agents_selected` gives for the same arguments.

    "All matching" starts from the filter's count, cached per read-model version
    (`agent_matching_count`), and takes off the excluded agents it covers: one small query
    instead of counting tens of thousands of rows on every tick.
    """
    if matching is None:
        return agents_selected(agent_ids=agent_ids).count()
    if not excluded_ids:
        return agent_matching_count(matching, now=now)
    excluded = agents_matching(matching, now=now).filter(agent_id__in=list(excluded_ids))
    return agent_matching_count(matching, now=now) - excluded.count()


def agents_selected_among(
    candidate_ids: Collection[str],
    *,
    agent_ids: Collection[str] = (),
    matching: AgentFilters | None = None,
    excluded_ids: Collection[str] = (),
    now: datetime | None = None,
) -> frozenset[str]:
    """Which of `candidate_ids` (the rows of a page) `agents_selected` covers: the ticks."""
    if not candidate_ids:
        return frozenset()
    if matching is None:
        ticked = frozenset(agent_ids).intersection(candidate_ids)
        if not ticked or active_team_scope().is_whole_account:
            return ticked
        return frozenset(agents_selected(agent_ids=ticked).values_list("agent_id", flat=True))
    selected = agents_selected(matching=matching, excluded_ids=excluded_ids, now=now)
    return frozenset(
        selected.filter(agent_id__in=list(candidate_ids)).values_list("agent_id", flat=True)
    )
