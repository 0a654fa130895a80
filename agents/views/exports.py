"""The CSV export audit trail: who exported what, when, with which filter, how many rows."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from agents.liststate import CsvExportListState
from agents.views.lists import list_page, render_list

# 50 records a page: a busy day's exports on one or two screens.
EXPORTS_PER_PAGE = 50


@require_GET
@login_required
@permission_required("agents.view_csvexport", raise_exception=True)
def csv_export_list(request: HttpRequest) -> HttpResponse:
    """The CSV export audit trail, newest first, filtered by who, which export and dates."""
    state = CsvExportListState(request.GET)
    page = list_page(state, state.filterset.qs, per_page=EXPORTS_PER_PAGE)
    if clean := state.redirect_to_clean_url(request):
        return clean
    context = {"list": state, "page": page}
    response = render_list(request, "status/csv_exports.html", "export-table", context)
    state.push_clean_url(request, response)
    return response
