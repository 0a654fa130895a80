"""The change history: the page (or its htmx partial) and its CSV export.

HTTP only: the query string is parsed by `filters.AgentChangeFilter`; the rows, their human
form and the CSV come from `agents.services.changes`.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from agents.filters import AgentChangeFilter
from agents.models import AgentChange
from agents.services import changes as changes_service
from agents.views.directory import _Echo, _is_partial

LIST_TEMPLATE = "changes/change_list.html"
PAGE_VAR = "page"
# 50 rows: a week of a busy account's changes on two screens, rendered in a few ms.
CHANGES_PER_PAGE = 50


def _valid_query(params: QueryDict, change_filter: AgentChangeFilter) -> list[tuple[str, str]]:
    """The filters of `params` that parsed, in the form's order: the base of every link."""
    errors = change_filter.form.errors
    return [
        (name, value.strip())
        for name in change_filter.form.fields
        if name not in errors
        for value in params.getlist(name)[:1]
        if value.strip()
    ]


def _query(pairs: list[tuple[str, str]], **changes: object) -> str:
    values = dict(pairs)
    for key, value in changes.items():
        if value in (None, ""):
            values.pop(key, None)
        else:
            values[key] = str(value)
    encoded = urlencode(list(values.items()))
    return f"?{encoded}" if encoded else ""


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def change_list(request: HttpRequest) -> HttpResponse:
    change_filter = AgentChangeFilter(request.GET, queryset=AgentChange.objects.all())
    notices = [
        f"Ignored {change_filter.form.fields[name].label.lower()}: {' '.join(errors)}"
        for name, errors in change_filter.form.errors.items()
    ]
    valid = _valid_query(request.GET, change_filter)
    filtered = AgentChangeFilter(QueryDict(urlencode(valid)), queryset=AgentChange.objects.all())
    paginator = Paginator(filtered.qs, CHANGES_PER_PAGE)
    page = paginator.get_page(request.GET.get(PAGE_VAR))
    list_url = reverse("change-list")
    page_links = [
        (
            str(n),
            "" if n == paginator.ELLIPSIS else list_url + _query(valid, page=n),
            n == page.number,
        )
        for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    context = {
        "filter_form": change_filter.form,
        "page": page,
        "rows": changes_service.change_rows(page.object_list),
        "notices": notices,
        "is_filtered": bool(valid),
        "list_url": list_url,
        "export_url": reverse("change-export") + _query(valid),
        "page_links": page_links,
        "previous_url": list_url + _query(valid, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": list_url + _query(valid, page=page.next_page_number())
        if page.has_next()
        else "",
    }
    template_name = LIST_TEMPLATE
    if _is_partial(request):
        template_name += "#change-table"
    else:
        # Opening the history is what "since your last visit" on the home page counts from.
        changes_service.changes_mark_seen(user=request.user)
    response = render(request, template_name, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def change_export(request: HttpRequest) -> StreamingHttpResponse:
    change_filter = AgentChangeFilter(request.GET, queryset=AgentChange.objects.all())
    valid = _valid_query(request.GET, change_filter)
    filtered = AgentChangeFilter(QueryDict(urlencode(valid)), queryset=AgentChange.objects.all())
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    rows = changes_service.change_export_rows(filtered.qs)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="agent-changes-{stamp}.csv"'
    return response
