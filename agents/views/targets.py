"""Staffing targets: the weekly grid, its helpers (fill, copy Monday, clear), CSV in and out.

Everyone who reads schedules may read the targets; only Managers and Admins may change them
(`agents.change_staffingtarget`: 403 otherwise). The grid's state is `?group=<id>&slot=<minutes>`;
every form (the grid itself too) posts to its own URL with the same query string and comes back
to the grid.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from agents import working_hours
from agents.export_limit import csv_export_response
from agents.forms import TargetFillForm, TargetGridForm, TargetImportForm
from agents.liststate import TargetState
from agents.services import staffing_targets as target_service

VIEW_PERMISSION = "agents.view_staffingtarget"
CHANGE_PERMISSION = "agents.change_staffingtarget"
LOG_PERMISSION = "agents.view_staffingtargetchange"


def _state(request) -> TargetState:
    return TargetState.from_query(
        request.GET,
        group_choices=target_service.staffing_target_groups(),
        overall=target_service.staffing_targets_overall_allowed(),
    )


def _changing_state(request) -> tuple[TargetState, HttpResponse | None]:
    """The state a change is posted with, and the refusal when its group is not one the user
    may change (`TargetState.group_refused`): a 403 showing the grid, nothing saved. Without
    it a change would be saved to the group the page falls back to."""
    state = _state(request)
    if not state.group_refused:
        return state, None
    messages.error(request, target_service.staffing_target_refused_message(state.asked_group_id))
    return state, _render_grid(request, state, status=403)


def _changed_message(slots_changed: int, slot_minutes: int) -> str:
    if not slots_changed:
        return "Nothing changed: the targets were already so."
    unit = "hour" if slot_minutes == 60 else "half-hour"
    return f"Saved: {slots_changed} {unit} slot{'s' if slots_changed != 1 else ''} changed."


def _render_grid(
    request,
    state: TargetState,
    *,
    grid_form=None,
    import_form=None,
    fill_form=None,
    status=200,
):
    group_id, slot_minutes = state.group_id, state.slot_minutes
    current = target_service.staffing_targets(group_id=group_id, slot_minutes=slot_minutes)
    if grid_form is None:
        grid_form = TargetGridForm(slot_minutes=slot_minutes, initial=current)
    can_change = request.user.has_perm(CHANGE_PERMISSION)
    context = {
        "group_id": group_id,
        "group_name": target_service.staffing_target_group_name(group_id),
        "group_choices": target_service.staffing_target_groups(),
        "overall_allowed": target_service.staffing_targets_overall_allowed(),
        "slot_minutes": slot_minutes,
        "slot_choices": working_hours.SLOT_SIZES,
        "warnings": state.notices,
        "grid": grid_form.rows(),
        "grid_form": grid_form,
        "slot_headers": [
            (working_hours.format_minute(m), f"{m // 60:02d}" if m % 60 == 0 else f":{m % 60:02d}")
            for m in working_hours.slot_starts(slot_minutes)
        ],
        "target_count": len(current),
        "can_change": can_change,
        "query": state.query,
        "fill_form": fill_form or TargetFillForm(slot_minutes=slot_minutes),
        "import_form": import_form or TargetImportForm(),
        "changes": target_service.staffing_target_changes()
        if request.user.has_perm(LOG_PERMISSION)
        else None,
        "time_zone": working_hours.account_zone().key,
        "import_max_kb": target_service.IMPORT_MAX_BYTES // 1024,
    }
    return render(request, "schedules/targets.html", context, status=status)


@require_GET
@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def target_grid(request):
    return _render_grid(request, _state(request))


@require_POST
@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def target_save(request):
    state, refused = _changing_state(request)
    if refused:
        return refused
    group_id, slot_minutes = state.group_id, state.slot_minutes
    form = TargetGridForm(request.POST, slot_minutes=slot_minutes)
    if not form.is_valid():
        messages.error(request, "Nothing was saved: some targets are not valid (marked below).")
        return _render_grid(request, state, grid_form=form)
    changed = target_service.staffing_targets_set(
        group_id=group_id,
        slot_minutes=slot_minutes,
        values=form.targets(),
        user=request.user,
    )
    messages.success(request, _changed_message(changed, slot_minutes))
    return redirect(state.url())


@require_POST
@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def target_fill(request):
    state, refused = _changing_state(request)
    if refused:
        return refused
    group_id, slot_minutes = state.group_id, state.slot_minutes
    form = TargetFillForm(request.POST, slot_minutes=slot_minutes)
    if not form.is_valid():
        messages.error(request, "Nothing was filled: see the fill form below.")
        return _render_grid(request, state, fill_form=form)
    data = form.cleaned_data
    changed = target_service.staffing_targets_fill(
        group_id=group_id,
        slot_minutes=slot_minutes,
        weekdays=data["weekdays"],
        start_minute=data["start"],
        end_minute=data["end"],
        target=data["target"],
        user=request.user,
    )
    messages.success(request, _changed_message(changed, slot_minutes))
    return redirect(state.url())


def _whole_grid_change(request, change) -> HttpResponse:
    """A change that takes nothing but the grid's group and slot size (copy Monday, clear)."""
    state, refused = _changing_state(request)
    if refused:
        return refused
    group_id, slot_minutes = state.group_id, state.slot_minutes
    changed = change(group_id=group_id, slot_minutes=slot_minutes, user=request.user)
    messages.success(request, _changed_message(changed, slot_minutes))
    return redirect(state.url())


@require_POST
@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def target_copy_monday(request):
    return _whole_grid_change(request, target_service.staffing_targets_copy_monday)


@require_POST
@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def target_clear(request):
    return _whole_grid_change(request, target_service.staffing_targets_clear)


@require_POST
@login_required
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def target_import(request):
    state, refused = _changing_state(request)
    if refused:
        return refused
    group_id, slot_minutes = state.group_id, state.slot_minutes
    form = TargetImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            values = target_service.staffing_targets_parse_csv(
                content=form.cleaned_data["file"].read(), slot_minutes=slot_minutes
            )
        except target_service.TargetImportInvalid as invalid:
            form.add_error("file", [str(problem) for problem in invalid.errors])
    if not form.is_valid():
        messages.error(request, "The file was not imported and no target changed.")
        return _render_grid(request, state, import_form=form)
    changed = target_service.staffing_targets_import(
        group_id=group_id, slot_minutes=slot_minutes, values=values, user=request.user
    )
    messages.success(request, "Imported. " + _changed_message(changed, slot_minutes))
    return redirect(state.url())


@require_GET
@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def target_export(request):
    state = _state(request)
    group_id, slot_minutes = state.group_id, state.slot_minutes
    name = f"targets-{group_id}" if group_id else "targets"
    safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return csv_export_response(
        request,
        rows=target_service.staffing_target_csv_rows(group_id=group_id, slot_minutes=slot_minutes),
        filter_query=state.query,
        filename=f"{safe_name}.csv",
        lineterminator="\n",
        stream=False,
    )
