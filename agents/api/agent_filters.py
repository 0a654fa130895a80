"""An API request's agent filters, read exactly as the directory reads its query string: the
same FilterSet (`filters.AgentFilter`, through `liststate.AgentListState`), the same names and
meanings, the same wording for a value it refuses. Only the outcome differs: a page drops a bad
value with a notice, the API refuses the request (422), so a script never acts on a filter it
did not mean."""

from __future__ import annotations

from django.http import QueryDict
from django.urls import reverse
from ninja import Schema
from pydantic import ConfigDict, Field

from agents.api.problems import refuse_ignored_filters
from agents.filters import SEARCH_MAX_LENGTH
from agents.liststate import AgentListState


def one_of(*values: str, description: str | None = None):
    """A filter with fixed choices: listed as the schema's enum ("" = no filter, as in the
    directory's form), but checked by the directory's FilterSet, so a refused value is worded
    as the page words it, not in pydantic's words."""
    return Field(None, description=description, json_schema_extra={"enum": ["", *values]})


class AgentFilterQuery(Schema):
    """The directory's filters (`/agents/?…`), with their names; every one is optional, and an
    empty value is no filter, as in the directory's form."""

    q: str | None = Field(
        None,
        max_length=SEARCH_MAX_LENGTH,
        description="Every word must appear in the name, email, phone or id.",
    )
    group: list[str] | None = Field(
        None,
        description="DeepCall group ids (repeat for several): in any of them. A group outside "
        "your team scope is refused as an unknown one.",
    )
    status: str | None = one_of("active", "inactive")
    dest_type: str | None = Field(None, description="A destination type the directory offers.")
    role: str | None = Field(None, description="A role name the directory offers.")
    day: str | None = one_of(*"0123456", description="Works on: 0 (Monday) to 6 (Sunday).")
    on_shift: str | None = one_of("yes", description="yes: on shift now.")
    cad: str | None = one_of(
        "on", "off", "unknown", description="on, off (as set here) or unknown (never set here)."
    )
    deletion: str | None = one_of("pending", description="pending: DeepCall lists it for deletion.")


class AgentFilterBody(AgentFilterQuery):
    """The same filters as a JSON object (a CAD job's `filter`); `{}` is every agent."""

    model_config = ConfigDict(extra="forbid")

    group: list[str] | str | None = Field(
        None, description="A DeepCall group id, or several: in any of them."
    )


FILTER_NAMES = tuple(AgentFilterQuery.model_fields)


def agent_list_state(params: QueryDict) -> AgentListState:
    """The directory's list state for the filters among `params` (blank values left out, as the
    directory's form does); ApiProblem (422) when a value is refused, naming each with the
    directory's own notice."""
    filter_params = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        values = [value for value in params.getlist(name) if value.strip()]
        if values:
            filter_params.setlist(name, values)
    state = AgentListState(filter_params, path=reverse("agent-list"))
    refuse_ignored_filters(state)
    return state


def agent_filters_from(body: AgentFilterBody) -> AgentListState:
    """`agent_list_state` for a JSON object of filters (a CAD job's `filter`)."""
    params = QueryDict(mutable=True)
    for name, value in body.model_dump(exclude_none=True).items():
        params.setlist(
            name, [str(item) for item in (value if isinstance(value, list) else [value])]
        )
    return agent_list_state(params)
