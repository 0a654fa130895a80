from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agents.models import CsvExport
from agents.services import status as status_service
from agents.services.cooldown import CONNECTION_CHECK_COOLDOWN_S, cooldown_start


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("agents.view_upstream_status", raise_exception=True)
def upstream_status(request: HttpRequest) -> HttpResponse:
    """GET shows the connection; POST ("Check connection now") makes one small call first."""
    cooldown_message = ""
    if request.method == "POST":
        wait = cooldown_start(action="connection-check", seconds=CONNECTION_CHECK_COOLDOWN_S)
        if wait:
            cooldown_message = f"DeepCall was checked moments ago; check again in {wait} s."
        else:
            status_service.upstream_check()
    template_name = "status/upstream_status.html"
    if request.htmx:
        template_name += "#connection-check"
    context = status_service.upstream_status() | {"cooldown_message": cooldown_message}
    return render(request, template_name, context)


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
