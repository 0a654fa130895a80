"""GET /api/v1/agents and /api/v1/agents/{id}: the directory, filtered, sorted and paged as the
page is (`agent_queries`), one agent as its detail page reads it."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.http import urlencode
from ninja import Query, Router
from pydantic import Field

import agents.converters  # noqa: F401 - registers the agent_id path converter
from agents import working_hours
from agents.api.agent_filters import AgentFilterQuery, agent_list_state
from agents.api.audit import api_read_record
from agents.api.auth import needs
from agents.api.problems import ApiProblem, refuse_unknown_parameters
from agents.api.schemas import AgentOut, AgentPage
from agents.services import agent_queries

router = Router(tags=["agents"])

# A script pages through the whole directory; 500 rows answer in about the time the page's
# 100 take to render, and keep each answer under a megabyte.
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
SortValue = Literal[tuple(k for key in agent_queries.SORT_KEYS for k in (key, f"-{key}"))]


class AgentListQuery(AgentFilterQuery):
    sort: SortValue = Field(  # type: ignore[valid-type]
        agent_queries.DEFAULT_SORT, description="A column, with '-' for descending."
    )
    page: int = Field(1, ge=1)
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


def agent_out(agent, *, cad_state, weekday: int, minute: int) -> dict:
    """One agent of a page (read by `agent_page_rows`) as the API gives it."""
    windows = agent.listed_windows
    return {
        "id": agent.agent_id,
        "name": agent.name,
        "email": agent.email,
        "phone": agent.phone,
        "dest_type": agent.dest_type,
        "dest_value": agent.dest_value,
        "role": agent.role_name,
        "status": "active" if agent.is_active else "inactive",
        "pending_deletion": agent.pending_deletion,
        "on_shift_now": any(working_hours.window_covers(w, weekday, minute) for w in windows),
        "groups": [{"id": g.group_id, "name": g.name} for g in agent.listed_groups],
        "working_hours": working_hours_out(windows),
        "cad": {
            "state": cad_state.state if cad_state else None,
            "set_at": cad_state.set_at if cad_state else None,
        },
    }


def working_hours_out(windows) -> dict:
    return {
        "text": working_hours.windows_humanise(windows),
        "windows": [
            {
                "days": [working_hours.WEEKDAY_NAMES[d] for d in working_hours.window_days(window)],
                "start_minute": window.start_minute,
                "end_minute": window.end_minute,
                "text": working_hours.window_humanise(window),
            }
            for window in windows
        ],
    }


@router.get(
    "/agents",
    response=AgentPage,
    summary="List agents, as the directory does",
    auth=needs("agents.view_agent"),
)
def agent_list(request: HttpRequest, query: Query[AgentListQuery]):
    """The directory's agents: its filters (the same names and meanings as `/agents/?…`), its
    sort, `per_page` up to 500. Within the token user's team scope. Each read is recorded in
    the exports audit trail."""
    refuse_unknown_parameters(request, AgentListQuery)
    state = agent_list_state(request.GET)
    sort = query.sort
    listing = agent_queries.agent_directory_listing(filters=state.filters)
    ordered = agent_queries.agents_sorted(
        listing.agents,
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        now=listing.now,
    )
    start = (query.page - 1) * query.per_page
    rows = (
        agent_queries.agent_page_rows(ordered[start : start + query.per_page])
        if start < listing.matching_count
        else []
    )
    weekday, minute = working_hours.local_weekday_minute(listing.now)
    next_url = None
    if start + query.per_page < listing.matching_count:
        params = request.GET.copy()
        params["page"] = str(query.page + 1)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    shown = urlencode([("sort", sort), ("page", query.page), ("per_page", query.per_page)])
    api_read_record(
        request, filter_query="&".join(filter(None, [state.filter_query, shown])), rows=len(rows)
    )
    return {
        "count": listing.matching_count,
        "page": query.page,
        "per_page": query.per_page,
        "next": next_url,
        "results": [
            agent_out(agent, cad_state=agent.listed_cad_state, weekday=weekday, minute=minute)
            for agent in rows
        ],
    }


@router.get(
    "/agents/{agent_id:agent_id}",
    response=AgentOut,
    summary="One agent, as its page shows it",
    auth=needs("agents.view_agent"),
)
def agent_get(request: HttpRequest, agent_id: str):
    """One agent by its id (an id holding "/" or "~" writes them as ~2F and ~7E, as the
    directory's links do). 404 for an agent not in the directory, or not in the token user's
    team scope (the two are not told apart)."""
    refuse_unknown_parameters(request)
    detail = agent_queries.agent_detail(agent_id=agent_id)
    if detail is None:
        raise ApiProblem(
            404,
            f"No agent with id “{agent_id}”: it is not in the directory (or not in the groups "
            "you are responsible for).",
        )
    agent = detail.agent
    agent.listed_windows = tuple(
        working_hours.Window(w.weekday_mask, w.start_minute, w.end_minute) for w in detail.windows
    )
    agent.listed_groups = tuple(
        agent_queries.ListedGroup(group.group_id, group.name) for group, _ in detail.groups
    )
    weekday, minute = working_hours.local_weekday_minute(working_hours.account_now())
    return agent_out(agent, cad_state=detail.cad_state, weekday=weekday, minute=minute)
