"""The CSV export audit trail: who exported what, when, with which filter, how many rows."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agents.models import CsvExport

# The audit page lists this many, newest first; older records stay in the database.
CSV_EXPORTS_SHOWN = 500


@require_http_methods(["GET"])
@login_required
@permission_required("agents.view_csvexport", raise_exception=True)
def csv_export_list(request: HttpRequest) -> HttpResponse:
    """The CSV export audit trail: who exported what, when, with which filter, how many rows."""
    exports = CsvExport.objects.all()[:CSV_EXPORTS_SHOWN]
    return render(
        request, "status/csv_exports.html", {"exports": exports, "shown": CSV_EXPORTS_SHOWN}
    )
