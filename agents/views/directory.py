"""The agent directory: list (page or htmx partial), detail panel, CSV export, refresh.

HTTP only: `DirectoryState` reads the query string and makes the links, the services read the
read model; the freshness of the copy and the background refresh are
`agents.services.read_model_sync`'s and `read_model_status`'s.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from agents.export_limit import csv_export_response
from agents.liststate import DirectoryState
from agents.selection import selection_for
from agents.services import agent_changes as changes_service
from agents.services import agent_queries
from agents.services.cooldown import REFRESH_COOLDOWN_S, cooldown_start
from agents.services.read_model_status import SyncStatus, sync_status
from agents.services.read_model_sync import TRIGGER_BUTTON, TRIGGER_TTL, agent_sync_request
from agents.tables import AgentTable
from agents.views.cad import bulk_bar_context
from agents.views.lists import list_page, render_list, wants_partial

LIST_TEMPLATE = "agents/agent_list.html"
DETAIL_TEMPLATE = "agents/agent_detail.html"


def _list_context(request: HttpRequest, state: DirectoryState, status: SyncStatus) -> dict:
    listing = agent_queries.agent_directory_listing(filters=state.filters)
    ordered = agent_queries.agent_directory_order(
        listing, sort=state.sort_key, descending=state.descending
    )
    page = list_page(state, ordered, per_page=state.per_page, count=listing.matching_count)
    # Nothing matches: the page says so without reading one (the count is cached).
    agents = agent_queries.agent_page_rows(page.object_list) if page.count else []
    can_select = request.user.has_perm("agents.run_cad_jobs")
    selection = selection_for(request) if can_select else None
    table = AgentTable(
        agents=agents,
        duplicated_names=listing.duplicated_names,
        now=listing.now,
        page=page,
        sort_headers=state.sort_headers,
        caption=f"Agents, {state.sort_caption}",
        ticked_ids=(
            selection.ticks([agent.agent_id for agent in agents]) if selection is not None else None
        ),
        can_see_cad_jobs=request.user.has_perm("agents.view_cadjob"),
    )
    return {
        "list": state,
        "directory": listing,
        "page": page,
        "table": table,
        "sync": status,
        "can_export": request.user.has_perm("agents.export_agents"),
        "can_refresh": request.user.has_perm("agents.refresh_agents"),
        "bulk": bulk_bar_context(
            request, state, matching_count=listing.matching_count, selection=selection
        )
        if can_select
        else None,
        # Never synced and nothing queued that failed: keep polling until the first data.
        "first_load": not status.has_synced and not listing.total_count,
    }


def _render_list(
    request: HttpRequest, params: QueryDict, *, status: SyncStatus | None = None
) -> HttpResponse:
    state = DirectoryState(params)
    context = _list_context(request, state, status or sync_status())
    if clean := state.redirect_to_clean_url(request):
        return clean
    response = render_list(request, LIST_TEMPLATE, "agent-table", context)
    state.push_clean_url(request, response)
    return response


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def agent_list(request: HttpRequest) -> HttpResponse:
    # A stale copy is refreshed in the background; this page shows the previous one meanwhile.
    status = sync_status()
    if agent_sync_request(trigger=TRIGGER_TTL, status=status):
        status = sync_status()  # the refresh just queued shows
    return _render_list(request, request.GET, status=status)


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def agent_detail(request: HttpRequest, agent_id: str) -> HttpResponse:
    detail = agent_queries.agent_detail(agent_id=agent_id)
    partial = wants_partial(request)
    template_name = DETAIL_TEMPLATE + ("#agent-detail" if partial else "")
    context = {
        "detail": detail,
        "agent_id": agent_id,
        "list_url": reverse("agent-list"),
        # Who set CAD, in which job, and DeepCall's messages are the CAD audit trail's.
        "can_see_cad_jobs": request.user.has_perm("agents.view_cadjob"),
        # Shown for an agent that is gone too: its removal is the answer to "where did it go?"
        "agent_changes": changes_service.agent_changes_for(agent_id=agent_id),
        "deleted_upstream_at": (
            agent_queries.agent_deleted_upstream_at(agent_id=agent_id) if detail is None else None
        ),
        "changes_url": reverse("change-list") + "?" + urlencode({"agent": agent_id}),
        # The agent's name heads its own page; in the panel it sits under "Agent details".
        "heading_tag": "h2" if partial else "h1",
        # Its sections come one level below, so headings never skip a level.
        "subheading_tag": "h3" if partial else "h2",
    }
    # An htmx swap needs a 200 for the "not found" message to show in the panel.
    status = 404 if detail is None and not partial else 200
    response = render(request, template_name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
@permission_required("agents.export_agents", raise_exception=True)
def agent_export(request: HttpRequest) -> HttpResponse:
    state = DirectoryState(request.GET)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = agent_queries.agent_export_rows(
        filters=state.filters, sort=state.sort_key, descending=state.descending
    )
    return csv_export_response(
        request,
        rows=rows,
        filter_query=state.query().removeprefix("?"),
        filename=f"agents-{stamp}.csv",
    )


@require_POST
@login_required
@permission_required("agents.view_agent", raise_exception=True)
@permission_required("agents.refresh_agents", raise_exception=True)
def agent_refresh(request: HttpRequest) -> HttpResponse:
    wait = cooldown_start(action="agent-refresh", seconds=REFRESH_COOLDOWN_S)
    if wait:
        text = f"The directory was refreshed from DeepCall moments ago; try again in {wait} s."
    elif agent_sync_request(trigger=TRIGGER_BUTTON):
        text = "Refreshing the directory from DeepCall…"
    else:
        text = "A refresh is already under way; the directory updates when it finishes."
    # The form carries the directory's query string, so the user comes back to the same view.
    state = DirectoryState(QueryDict(request.POST.get("query", "").removeprefix("?")))
    if wants_partial(request):
        return _render_list(request, state.params)
    messages.info(request, text)
    return redirect(state.url())
