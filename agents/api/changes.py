"""GET /api/v1/changes: the change history, oldest first from a cursor, so a script can follow
it: ask with the `next_since` of its last answer and get only what was recorded since. The
filters are the history page's (`liststate.ChangeListState`), within the team scope."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.http import urlencode
from ninja import Query, Router, Schema
from pydantic import Field

from agents.api.audit import api_read_record
from agents.api.auth import needs
from agents.api.problems import ApiProblem, refuse_ignored_filters, refuse_unknown_parameters
from agents.filters import SEARCH_MAX_LENGTH
from agents.liststate import ChangeListState
from agents.services import agent_changes as changes_service

router = Router(tags=["changes"])

# The history page's "Change" filter: a kind, any field, or one field.
ChangeKind = Literal[
    "added",
    "removed",
    "changed",
    "first_load",
    "name",
    "email",
    "phone",
    "address",
    "destination",
    "role",
    "status",
    "groups",
    "hours",
    "pending_deletion",
]

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100


class ChangeQuery(Schema):
    since: str | None = Field(
        None,
        pattern=r"^[0-9]{1,18}$",
        description="The `next_since` of your last answer: only changes recorded after it. "
        "Without it, from the oldest change kept.",
    )
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    agent: str | None = Field(
        None, max_length=SEARCH_MAX_LENGTH, description="An agent's id, or part of a name."
    )
    group: str | None = Field(None, description="A DeepCall group id: its agents' changes.")
    kind: ChangeKind | None = Field(
        None,
        description="added, removed, changed (any field), first_load, or the field that changed.",
    )
    date_from: date | None = Field(None, description="A day (included).")
    date_to: date | None = Field(None, description="A day (included).")


class ChangeOut(Schema):
    id: str = Field(description="Also a cursor: changes after this one come with since=id.")
    recorded_at: datetime
    agent_id: str = Field(description='"" for a first load.')
    agent_name: str
    kind: str
    field: str
    description: str = Field(description='In words, as the page says it: "Phone changed".')
    before: Any = None
    after: Any = None
    before_text: str
    after_text: str


class ChangePage(Schema):
    results: list[ChangeOut]
    next_since: str | None = Field(
        description="Ask again with since= this to get what comes after; your `since` again "
        "when nothing new was recorded."
    )
    has_more: bool = Field(description="More changes are recorded after this page already.")


FILTER_NAMES = ("agent", "group", "kind", "date_from", "date_to")


def _cursor(since: str | None) -> int:
    if since is None:
        return 0
    if not (since.isascii() and since.isdigit()) or len(since) > 18:
        raise ApiProblem(
            422,
            "Refused: since must be the next_since of an earlier answer.",
            errors=[("since", "Not a cursor of this API.")],
        )
    return int(since)


@router.get(
    "/changes",
    response=ChangePage,
    summary="Follow the change history",
    auth=needs("agents.view_agent"),
)
def change_list(request: HttpRequest, query: Query[ChangeQuery]):
    """Changes in the order they were recorded, after `since`. Each read is recorded in the
    exports audit trail, as the history's CSV export is."""
    refuse_unknown_parameters(request, ChangeQuery)
    since = _cursor(query.since)
    params = request.GET.copy()
    for name in list(params):
        if name not in FILTER_NAMES or not params[name].strip():
            del params[name]
    state = ChangeListState(params)
    refuse_ignored_filters(state)
    changes = (
        changes_service.changes_matching(state.filters)
        .filter(pk__gt=since)
        .order_by("pk")[: query.per_page + 1]
    )
    page = list(changes)
    has_more = len(page) > query.per_page
    page = page[: query.per_page]
    shown = changes_service.change_rows(page)
    api_read_record(
        request,
        filter_query="&".join(
            filter(
                None, [state.filter_query, urlencode({"since": since, "per_page": query.per_page})]
            )
        ),
        rows=len(page),
    )
    return {
        "results": [
            {
                "id": str(row.change.pk),
                "recorded_at": row.change.recorded_at,
                "agent_id": row.change.agent_id,
                "agent_name": row.change.agent_name,
                "kind": row.change.kind,
                "field": row.change.field,
                "description": row.description,
                "before": row.change.before,
                "after": row.change.after,
                "before_text": row.before,
                "after_text": row.after,
            }
            for row in shown
        ],
        "next_since": str(page[-1].pk) if page else query.since,
        "has_more": has_more,
    }
