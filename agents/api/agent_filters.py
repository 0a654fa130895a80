"""An API request's agent filters, read exactly as the directory reads its query string: the
same FilterSet (`filters.AgentFilter`, through `liststate.AgentListState`), the same names and
meanings, the same wording for a value it refuses. Only the outcome differs: a page drops a bad
value with a notice, the API refuses the request (422), so a script never acts on a filter it
did not mean."""

from __future__ import annotations

from django.http import QueryDict
from django.urls import reverse
from ninja import Schema
from pydantic import Field

from agents.api.problems import ApiProblem
from agents.filters import (
    CAD_CHOICES,
    DELETION_CHOICES,
    ON_SHIFT_CHOICES,
    SEARCH_MAX_LENGTH,
    STATUS_CHOICES,
)
from agents.liststate import AgentListState
from agents.services.agent_queries import AgentFilters
from agents.working_hours import WEEKDAY_CHOICES


def offered(choices) -> dict:
    """A filter's values as the schema lists them ("" = no filter, as on the page); the
    FilterSet still checks each value, with the page's wording."""
    return {"enum": ["", *(str(value) for value, _ in choices)]}


class AgentFilterQuery(Schema):
    """The directory's filters (`/agents/?…`), with their names; every one is optional."""

    q: str | None = Field(
        None,
        max_length=SEARCH_MAX_LENGTH,
        description="Every word must appear in the name, email, phone or id.",
    )
    group: list[str] | None = Field(
        None, description="DeepCall group ids (repeat for several): in any of them."
    )
    status: str | None = Field(
        None, description="active or inactive.", json_schema_extra=offered(STATUS_CHOICES)
    )
    dest_type: str | None = Field(None, description="A destination type the directory offers.")
    role: str | None = Field(None, description="A role name the directory offers.")
    day: str | None = Field(
        None,
        description="Works on: 0 (Monday) to 6 (Sunday).",
        json_schema_extra=offered(WEEKDAY_CHOICES),
    )
    on_shift: str | None = Field(
        None, description="yes: on shift now.", json_schema_extra=offered(ON_SHIFT_CHOICES)
    )
    cad: str | None = Field(
        None,
        description="on, off (as set here) or unknown (never set here).",
        json_schema_extra=offered(CAD_CHOICES),
    )
    deletion: str | None = Field(
        None,
        description="pending: DeepCall lists it for deletion.",
        json_schema_extra=offered(DELETION_CHOICES),
    )


FILTER_NAMES = tuple(AgentFilterQuery.model_fields)


def agent_list_state(params: QueryDict) -> AgentListState:
    """The directory's list state for the filters among `params`; ApiProblem (422) when a value
    is refused, naming each with the directory's own notice."""
    filter_params = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        values = params.getlist(name)
        if values:
            filter_params.setlist(name, values)
    state = AgentListState(filter_params, path=reverse("agent-list"))
    errors = state.filterset.form.errors
    if errors:
        raise ApiProblem(
            422,
            " ".join(state.notices),
            errors=[(name, " ".join(messages)) for name, messages in errors.items()],
        )
    return state


def agent_filters_from(values: dict) -> tuple[AgentFilters, AgentListState]:
    """`agent_list_state` for a JSON object of filters (a CAD job's `filter`), whose values
    are a text or a list of texts, as in a query string."""
    params = QueryDict(mutable=True)
    unknown = sorted(set(values) - set(FILTER_NAMES))
    if unknown:
        raise ApiProblem(
            422,
            f"Unknown filter “{unknown[0]}”: the filters are {', '.join(FILTER_NAMES)}.",
            errors=[(f"filter.{name}", "Not a filter.") for name in unknown],
        )
    for name, value in values.items():
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        params.setlist(name, [str(item) for item in items])
    state = agent_list_state(params)
    return state.filters, state
