"""Schedules for managers: the weekly timeline, the coverage heatmap, its CSV and one slot.

All state is in the query string: the directory's filters plus `slot`, `page`, `day` and
`minute`. Bad values become a message and a sane default, never a 500.
"""

from __future__ import annotations

import csv

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from agents import schedules
from agents.filters import FILTER_FORM_CACHE_SECONDS, filter_form_cache_key
from agents.services import schedules as schedule_service
from agents.services.schedules import DAY_VAR, MINUTE_VAR, PAGE_VAR, SLOT_VAR

# The directory's filter form, reused so both pages filter the same way.
DIRECTORY_FILTER_FORM = "agents/partials/filter_form.html"
SLOT_CHOICES = [(60, "Hours"), (30, "Half hours")]


class SlotSizeForm(forms.Form):
    slot = forms.TypedChoiceField(
        choices=SLOT_CHOICES, coerce=int, required=False, empty_value=schedules.DEFAULT_SLOT_MINUTES
    )


class SlotForm(forms.Form):
    day = forms.TypedChoiceField(choices=schedules.WEEKDAY_CHOICES, coerce=int)
    minute = forms.IntegerField(min_value=0, max_value=schedules.MINUTES_PER_DAY - 1)


def _slot_minutes(request) -> tuple[int, str]:
    """The slot size asked for, or hours and a warning to show when it is not one we offer."""
    form = SlotSizeForm(request.GET)
    if form.is_valid():
        return form.cleaned_data[SLOT_VAR], ""
    return schedules.DEFAULT_SLOT_MINUTES, "Slots can be 60 or 30 minutes long; showing hours."


def _query(filters: QueryDict, **changes) -> str:
    """A query string keeping the filters, with `changes` set (None drops a key)."""
    query = filters.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return query.urlencode()


def _page_links(filters: QueryDict, slot: int, page) -> list[tuple[str, str, bool]]:
    """(text, query, current) for the timeline's pagination, keeping filters and slot size."""
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            links.append((str(number), "", False))
        else:
            links.append(
                (str(number), _query(filters, slot=slot, page=number), number == page.number)
            )
    return links


@require_GET
@login_required
@permission_required("agents.view_schedules", raise_exception=True)
def schedule_overview(request):
    slot, slot_warning = _slot_minutes(request)
    filters = schedule_service.agent_filter_query(request.GET)
    agents = schedule_service.filtered_agents(filters)
    now = schedules.account_now()
    timeline = schedule_service.schedule_timeline_page(
        agents=agents, page_number=request.GET.get(PAGE_VAR), now=now
    )
    page = timeline.page
    context = {
        "timeline": timeline,
        "slot": slot,
        "slot_warning": slot_warning,
        "filters": filters,
        "filter_query": _query(filters, slot=slot),
        "page_links": _page_links(filters, slot, page),
        "previous_query": _query(filters, slot=slot, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_query": _query(filters, slot=slot, page=page.next_page_number())
        if page.has_next()
        else "",
        "time_zone": schedules.account_zone().key,
        "weekday_names": schedules.WEEKDAY_NAMES,
        "weekday_short_names": schedules.WEEKDAY_SHORT_NAMES,
    }
    template_name = "schedules/overview.html"
    if request.htmx and not request.htmx.history_restore_request:
        # Only the page links swap by htmx; the heatmap does not change with the page.
        response = render(request, template_name + "#timeline", context)
        response["Vary"] = "HX-Request"
        return response
    context |= {
        # The heatmap is rendered once per sync, filters and slot size (the template's {% cache %}
        # block, shared by every process with Redis): its figures are worked out only then.
        "coverage": SimpleLazyObject(lambda: schedule_service.coverage_for(agents, slot)),
        "coverage_cache_key": schedule_service.coverage_cache_key(
            filters=filters, slot_minutes=slot, now=now
        ),
        "coverage_cache_seconds": schedule_service.COVERAGE_CACHE_SECONDS,
        "slot_choices": SLOT_CHOICES,
        "filter_form_template": DIRECTORY_FILTER_FORM,
        "filter_form_cache_key": filter_form_cache_key(request.path, request.GET),
        "filter_form_cache_seconds": FILTER_FORM_CACHE_SECONDS,
        # `day` here is the heatmap cell's weekday, so the directory's "Works on" is not offered.
        "filter_exclude": [DAY_VAR],
        # Filtering keeps the slot size the manager chose.
        "hidden_fields": [(SLOT_VAR, slot)],
        "csv_query": _query(filters, slot=slot),
    }
    response = render(request, template_name, context)
    response["Vary"] = "HX-Request"
    return response


@require_GET
@login_required
@permission_required("agents.view_schedules", raise_exception=True)
def coverage_export(request):
    slot_minutes, _ = _slot_minutes(request)
    filters = schedule_service.agent_filter_query(request.GET)
    coverage = schedule_service.coverage_for(
        schedule_service.filtered_agents(filters), slot_minutes
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="coverage.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerows(schedule_service.coverage_csv_rows(coverage))
    return response


@require_GET
@login_required
@permission_required("agents.view_schedules", raise_exception=True)
def slot_detail(request):
    form = SlotForm(request.GET)
    slot_minutes, slot_warning = _slot_minutes(request)
    filters = schedule_service.agent_filter_query(request.GET)
    context = {
        "filters": filters,
        "slot_warning": slot_warning,
        "back_query": _query(filters, slot=slot_minutes),
    }
    template_name = "schedules/slot.html"
    partial = request.htmx and not request.htmx.history_restore_request
    if partial:
        template_name += "#slot-detail"
    if not form.is_valid():
        context["error"] = (
            "Pick a slot from the heatmap: the day must be 0 (Monday) to 6 (Sunday) and the "
            "minute 0 to 1439."
        )
        # 200 for an htmx swap, so the message shows in the side panel.
        return render(request, template_name, context, status=200 if partial else 400)
    data = form.cleaned_data
    context["slot"] = schedule_service.slot_on_duty(
        agents=schedule_service.filtered_agents(filters),
        weekday=data[DAY_VAR],
        minute=data[MINUTE_VAR],
        slot_minutes=slot_minutes,
    )
    return render(request, template_name, context)
