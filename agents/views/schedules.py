"""Schedules for managers: the weekly timeline, the coverage heatmap, its CSV and one slot.

All state is in the query string, read by `ScheduleState`: the directory's filters plus `slot`
(the heatmap's slot size) and `page` (the timeline's); the slot panel adds `slot_day` and
`slot_minute`. Bad values become a message and a sane default, never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from agents import working_hours
from agents.export_limit import csv_export_response
from agents.liststate import ScheduleState
from agents.services import coverage as coverage_service
from agents.services import staffing_targets as target_service
from agents.services.agent_queries import agent_matching_count, agents_matching
from agents.views.lists import list_page, render_list, wants_partial


class SlotForm(forms.Form):
    """The slot panel's own parameters: which weekday and minute of the heatmap was chosen."""

    slot_day = forms.TypedChoiceField(choices=working_hours.WEEKDAY_CHOICES, coerce=int)
    slot_minute = forms.IntegerField(min_value=0, max_value=working_hours.MINUTES_PER_DAY - 1)


def _target_scope(state: ScheduleState) -> target_service.TargetScope:
    """The staffing targets the heatmap is measured against: the filtered group's, or overall."""
    return target_service.staffing_target_scope(
        group_pks=state.filters.group_pks, slot_minutes=state.slot_minutes
    )


def _targets_url(scope: target_service.TargetScope, slot_minutes: int) -> str:
    query = {"group": scope.group_id} if scope.group_id else {}
    return f"{reverse('schedules-targets')}?{urlencode({**query, 'slot': slot_minutes})}"


@require_GET
@login_required
@permission_required("agents.view_schedules", raise_exception=True)
def schedule_overview(request):
    state = ScheduleState(request.GET)
    agents = agents_matching(state.filters).only(*coverage_service.TIMELINE_FIELDS)
    page = list_page(
        state,
        agents,
        per_page=coverage_service.TIMELINE_PAGE_SIZE,
        count=agent_matching_count(state.filters),
    )
    now = working_hours.account_now()
    timeline = coverage_service.schedule_timeline(agents=page.object_list, now=now)
    if clean := state.redirect_to_clean_url(request):
        return clean
    context = {
        "list": state,
        "page": page,
        "timeline": timeline,
        "time_zone": working_hours.account_zone().key,
        "weekday_names": working_hours.WEEKDAY_NAMES,
    }
    template_name = "schedules/overview.html"
    if wants_partial(request):
        # Only the page links swap by htmx; the heatmap does not change with the page.
        response = render_list(request, template_name, "timeline", context)
        state.push_clean_url(request, response)
        return response
    target_scope = _target_scope(state)
    coverage_args = {
        "filters": state.filters,
        "slot_minutes": state.slot_minutes,
        "target_scope": target_scope,
    }
    context |= {
        # The heatmap's markup is cached by this key (and the list's query); the figures are
        # fetched only when it is drawn.
        "coverage_key": coverage_service.coverage_key(**coverage_args),
        "coverage": SimpleLazyObject(lambda: coverage_service.agent_coverage(**coverage_args)),
        "target_scope": target_scope,
        "targets_url": _targets_url(target_scope, state.slot_minutes),
    }
    return render_list(request, template_name, "timeline", context)


@require_GET
@login_required
@permission_required("agents.view_schedules", raise_exception=True)
def coverage_export(request):
    state = ScheduleState(request.GET)
    coverage = coverage_service.coverage_for(
        agents_matching(state.filters), state.slot_minutes, targets=_target_scope(state).targets
    )
    return csv_export_response(
        request,
        rows=coverage_service.coverage_csv_rows(coverage),
        filter_query=state.query().removeprefix("?"),
        filename="coverage.csv",
        lineterminator="\n",
        stream=False,
    )


@require_GET
@login_required
@permission_required("agents.view_schedules", raise_exception=True)
def slot_detail(request):
    state = ScheduleState(request.GET)
    form = SlotForm(request.GET)
    context = {"list": state}
    template_name = "schedules/slot.html"
    partial = wants_partial(request)
    if partial:
        template_name += "#slot-detail"
    if not form.is_valid():
        context["error"] = (
            "Pick a slot from the heatmap: the day must be 0 (Monday) to 6 (Sunday) and the "
            "minute 0 to 1439."
        )
        # 200 for an htmx swap, so the message shows in the side panel.
        return render(request, template_name, context, status=200 if partial else 400)
    weekday, minute = form.cleaned_data["slot_day"], form.cleaned_data["slot_minute"]
    context["slot"] = coverage_service.slot_on_duty(
        agents=agents_matching(state.filters),
        weekday=weekday,
        minute=minute,
        slot_minutes=state.slot_minutes,
        target=_target_scope(state).target_at(weekday, minute),
    )
    return render(request, template_name, context)
