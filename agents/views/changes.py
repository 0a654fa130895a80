"""The change history: the page (or its htmx partial) and its CSV export.

HTTP only: `liststate.ChangeListState` parses the query string and makes every link; the rows,
their human form and the CSV come from `agents.services.agent_changes`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from agents.export_limit import csv_export_response
from agents.liststate import ChangeListState
from agents.services import agent_changes as changes_service
from agents.views.directory import _is_partial

LIST_TEMPLATE = "changes/change_list.html"


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def change_list(request: HttpRequest) -> HttpResponse:
    state = ChangeListState(request.GET)
    result = state.get_results()
    if clean := state.redirect_to_clean_url(request):
        return clean
    template_name = LIST_TEMPLATE
    if _is_partial(request):
        template_name += "#change-table"
    else:
        # Opening the history is what "since your last visit" on the home page counts from.
        changes_service.changes_mark_seen(user=request.user)
    context = {
        "list": state,
        "changes": result,
        "can_export": request.user.has_perm("agents.export_agents"),
    }
    response = render(request, template_name, context)
    state.push_clean_url(request, response)
    patch_vary_headers(response, ("HX-Request",))
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
        rows=state.export_rows(),
        filter_query=state.query().removeprefix("?"),
        filename=f"agent-changes-{stamp}.csv",
    )
