"""The change history: the page (or its htmx partial) and its CSV export.

HTTP only: `liststate.ChangeListState` parses the query string and makes every link; the rows,
their human form and the CSV come from `agents.services.agent_changes`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from agents.export_limit import csv_export_response
from agents.liststate import ChangeListState
from agents.services import agent_changes as changes_service
from agents.views.lists import list_page, render_list, wants_partial

LIST_TEMPLATE = "changes/change_list.html"


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def change_list(request: HttpRequest) -> HttpResponse:
    state = ChangeListState(request.GET)
    changes = changes_service.changes_matching(state.filters)
    page = list_page(
        state,
        changes,
        per_page=changes_service.CHANGES_PER_PAGE,
        count=changes_service.change_matching_count(state.filters),
    )
    if clean := state.redirect_to_clean_url(request):
        return clean
    if not wants_partial(request):
        # Opening the history is what "since your last visit" on the home page counts from.
        changes_service.changes_mark_seen(user=request.user)
    context = {
        "list": state,
        "page": page,
        "rows": changes_service.change_rows(page.object_list),
        "can_export": request.user.has_perm("agents.export_agents"),
    }
    response = render_list(request, LIST_TEMPLATE, "change-table", context)
    state.push_clean_url(request, response)
    return response


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
@permission_required("agents.export_agents", raise_exception=True)
def change_export(request: HttpRequest) -> HttpResponse:
    state = ChangeListState(request.GET)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_export_response(
        request,
        rows=changes_service.change_export_rows(filters=state.filters),
        filter_query=state.query().removeprefix("?"),
        filename=f"agent-changes-{stamp}.csv",
    )
