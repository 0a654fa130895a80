"""Bulk CAD: the selection, the confirmation, starting jobs, their progress and the audit log.

HTTP only: forms parse the input, `agents.services.cad_jobs` does the work. Every view that changes
anything needs `agents.run_cad_jobs`; reading jobs needs `agents.view_cadjob`.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reselect, reswap, retarget, trigger_client_event

from agents.forms import (
    CadActionForm,
    CadStartForm,
    CadUndoForm,
    IdempotentActionForm,
    SelectionChangeForm,
)
from agents.liststate import AgentListState, CadJobListState, CadResultListState
from agents.models import CadJob
from agents.selection import Selection, selection_change, selection_for, selection_save
from agents.services import cad_jobs as cad_service
from agents.services.agent_queries import agent_matching_count
from agents.services.task_workers import task_workers_alive
from agents.services.team_scopes import (
    agent_ids_out_of_scope,
    cad_job_visible,
    cad_jobs_with_description_in_scope,
    out_of_scope_message,
)
from agents.views.lists import list_page, render_list

BULK_BAR_TEMPLATE = "cad/partials/bulk_bar.html"
JOBS_PER_PAGE = 25
RESULTS_PER_PAGE = 50


def bulk_bar_context(
    request: HttpRequest,
    state: AgentListState,
    *,
    matching_count: int,
    selection: Selection | None = None,
) -> dict:
    """What the bulk bar shows, for the directory view and the selection endpoint alike."""
    selection = selection or selection_for(request)
    query = state.filter_query
    return {
        "selection": selection,
        "selected_count": selection.count(),
        "matching_count": matching_count,
        "filter_query": query,
        "all_matching_active": selection.is_all_matching
        and selection.all_matching_query == query
        and not selection.excluded_ids,
    }


def _back_to_directory(filter_query: str) -> HttpResponse:
    return redirect(AgentListState.from_filter_query(filter_query).url())


def _job_in_scope(public_id, queryset=None) -> CadJob:
    """The job, or 404 when it touched no agent of the user's team scope (as if it did not
    exist)."""
    job = get_object_or_404(queryset if queryset is not None else CadJob, public_id=public_id)
    if not cad_job_visible(job):
        raise Http404("No such CAD job.")
    return job


@require_POST
@login_required
@permission_required("agents.run_cad_jobs", raise_exception=True)
def selection_update(request: HttpRequest) -> HttpResponse:
    form = SelectionChangeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("That selection change could not be read.", status=400)
    state = AgentListState.from_filter_query(form.cleaned_data["query"])
    op = form.cleaned_data["op"]
    posted = {*form.cleaned_data["add"], *form.cleaned_data["remove"]}
    if outside := agent_ids_out_of_scope(posted):
        return HttpResponse(out_of_scope_message(len(outside)), status=403)

    def change(selection: Selection) -> None:
        if op == SelectionChangeForm.OP_CLEAR:
            selection.clear()
        elif op == SelectionChangeForm.OP_ALL_MATCHING:
            selection.select_all_matching(state.filter_query)
        else:
            selection.add(set(form.cleaned_data["add"]))
            selection.remove(set(form.cleaned_data["remove"]))

    selection = selection_change(request, change)
    context = bulk_bar_context(
        request, state, matching_count=agent_matching_count(state.filters), selection=selection
    )
    response = render(request, BULK_BAR_TEMPLATE, context)
    if op != SelectionChangeForm.OP_UPDATE:
        # Rows beyond the ones clicked changed: the page redraws its table (selection.js).
        trigger_client_event(response, "cad-selection-changed")
    return response


@require_POST
@login_required
@permission_required("agents.run_cad_jobs", raise_exception=True)
def job_confirm(request: HttpRequest) -> HttpResponse:
    """Show how many agents and which, and the filter they came from, before anything runs."""
    form = CadActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Enable CAD or Disable CAD.")
        return _back_to_directory("")
    state = AgentListState.from_filter_query(form.cleaned_data["query"])
    # Without JavaScript the ticked boxes arrive with the form instead of one by one.
    ticked = set(request.POST.getlist("agent_id"))
    if outside := agent_ids_out_of_scope(ticked):
        messages.error(request, out_of_scope_message(len(outside)))
        return redirect(state.url())
    selection = selection_change(request, lambda selection: selection.add(ticked))
    action = form.cleaned_data["action"]
    preview = cad_service.selection_preview(
        agents=selection.agents(), description=selection.description, action=action
    )
    if preview.count == 0:
        messages.error(request, "No agents selected: tick at least one agent first.")
        return redirect(state.url())
    start_form = CadStartForm(
        initial={
            "action": action,
            "idempotency_key": cad_service.new_idempotency_key(),
            "agent_ids": ""
            if selection.is_all_matching
            else json.dumps(sorted(selection.agent_ids)),
            "all_matching": selection.is_all_matching,
            "all_matching_query": selection.all_matching_query or "",
            "excluded_ids": json.dumps(sorted(selection.excluded_ids)),
        }
    )
    start_form.confirm(
        count=preview.count,
        already_set=preview.already_set,
        target_state=CadJob.Action(action).target_state,
        back_url=state.url(),
    )
    context = {
        "action_label": dict(CadJob.Action.choices)[action],
        "preview": preview,
        "start_form": start_form,
    }
    return render(request, "cad/confirm.html", context)


@require_POST
@login_required
@permission_required("agents.run_cad_jobs", raise_exception=True)
def job_start(request: HttpRequest) -> HttpResponse:
    form = CadStartForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "That confirmation was incomplete or out of date; please start "
            "again from the directory.",
        )
        return _back_to_directory("")
    data = form.cleaned_data
    if data["all_matching"]:
        selection = Selection(
            all_matching_query=AgentListState.from_filter_query(
                data["all_matching_query"]
            ).filter_query,
            excluded_ids=set(data["excluded_ids"]),
        )
    else:
        if outside := agent_ids_out_of_scope(data["agent_ids"]):
            messages.error(request, out_of_scope_message(len(outside)))
            return _back_to_directory("")
        selection = Selection(agent_ids=set(data["agent_ids"]))
    try:
        job = cad_service.cad_job_start(
            user=request.user,
            action=data["action"],
            agents=selection.agents(),
            idempotency_key=data["idempotency_key"],
            filter_query=selection.all_matching_query or "",
            filter_description=selection.description,
            skip_already_set=form.skip_already_set,
        )
    except cad_service.CadJobRefused as refused:
        messages.error(request, refused.message)
        return _back_to_directory(selection.all_matching_query or "")
    selection_save(request, Selection())
    return redirect("cad-job-detail", public_id=job.public_id)


@require_GET
@login_required
@permission_required("agents.view_cadjob", raise_exception=True)
def job_detail(request: HttpRequest, public_id) -> HttpResponse:
    job = _job_in_scope(
        public_id,
        cad_jobs_with_description_in_scope(
            CadJob.objects.select_related("created_by", "source_job")
        ),
    )
    # It finished while the page watched: the whole page, every result with it, takes the
    # place of the one on screen in this answer, rather than in a reload after it.
    finished_while_watched = (
        bool(request.htmx and request.GET.get("progress") and request.GET.get("running"))
        and job.is_finished
    )
    # Nobody should wait on a job that cannot run: its page says so while no worker is alive.
    no_worker = not job.is_finished and not task_workers_alive().exists()
    if request.htmx and request.GET.get("progress") and not finished_while_watched:
        response = render(
            request, "cad/job_detail.html#job-progress", {"job": job, "no_worker": no_worker}
        )
        patch_vary_headers(response, ("HX-Request",))
        return response
    results_state = CadResultListState(request.GET, job=job)
    results = cad_service.cad_job_results(job, outcome=results_state.outcome)
    page = list_page(results_state, results, per_page=RESULTS_PER_PAGE)
    can_run = request.user.has_perm("agents.run_cad_jobs")
    context = {
        "job": job,
        "no_worker": no_worker,
        "page": page,
        "list": results_state,
        "can_retry": can_run and job.is_finished and (job.failed or job.not_attempted),
        "can_undo": can_run and job.is_finished and job.succeeded,
        "hidden_results": cad_service.cad_job_results_hidden(job),
        "idempotency_key": cad_service.new_idempotency_key(),
    }
    template_name = "cad/job_detail.html"
    if finished_while_watched:
        response = render(request, template_name, context)
        patch_vary_headers(response, ("HX-Request",))
        return reselect(retarget(reswap(response, "outerHTML"), "#main"), "#main")
    return render_list(request, template_name, "job-results", context)


def _follow_up(request: HttpRequest, public_id, start) -> HttpResponse:
    job = _job_in_scope(public_id)
    form = IdempotentActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That form was out of date; please try again.")
        return redirect("cad-job-detail", public_id=job.public_id)
    try:
        new = start(
            job=job, user=request.user, idempotency_key=form.cleaned_data["idempotency_key"]
        )
    except cad_service.CadJobRefused as refused:
        messages.error(request, refused.message)
        return redirect("cad-job-detail", public_id=job.public_id)
    return redirect("cad-job-detail", public_id=new.public_id)


@require_POST
@login_required
@permission_required("agents.run_cad_jobs", raise_exception=True)
def job_retry(request: HttpRequest, public_id) -> HttpResponse:
    return _follow_up(request, public_id, cad_service.cad_job_retry_failed)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("agents.run_cad_jobs", raise_exception=True)
def job_undo(request: HttpRequest, public_id) -> HttpResponse:
    """GET: what undoing would do, agent state by agent state, and the choice for agents whose
    state before is not known. POST: start the undo."""
    job = _job_in_scope(public_id, CadJob.objects.select_related("created_by"))
    if not job.is_finished:
        messages.error(request, "This job is still running: undo it once it has finished.")
        return redirect("cad-job-detail", public_id=job.public_id)
    plan = cad_service.cad_undo_plan(job)
    if request.method == "POST":
        form = CadUndoForm(request.POST)
        if not form.is_valid():
            messages.error(request, "That form was out of date; please try again.")
            return redirect("cad-job-undo", public_id=job.public_id)
        try:
            new = cad_service.cad_job_undo(
                job=job,
                user=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                include_unknown=form.cleaned_data["unknown"] == CadUndoForm.UNKNOWN_REVERT,
            )
        except cad_service.CadJobRefused as refused:
            messages.error(request, refused.message)
            return redirect("cad-job-undo", public_id=job.public_id)
        return redirect("cad-job-detail", public_id=new.public_id)
    context = {
        "job": job,
        "plan": plan,
        "target_label": job.target_state,
        "before_label": CadJob.Action(job.action).opposite.target_state,
        "idempotency_key": cad_service.new_idempotency_key(),
    }
    return render(request, "cad/undo_confirm.html", context)


@require_GET
@login_required
@permission_required("agents.view_cadjob", raise_exception=True)
def job_list(request: HttpRequest) -> HttpResponse:
    state = CadJobListState(request.GET)
    # A filter that was not understood is ignored, and the page says so (`page.notices`), as
    # every list does; the others still apply.
    jobs = cad_jobs_with_description_in_scope(state.filterset.qs)
    page = list_page(state, jobs, per_page=JOBS_PER_PAGE)
    if clean := state.redirect_to_clean_url(request):
        return clean
    context = {"list": state, "page": page}
    response = render_list(request, "cad/job_list.html", "job-table", context)
    state.push_clean_url(request, response)
    return response
