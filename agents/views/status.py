from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agents.services import status as status_service


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("agents.view_upstream_status", raise_exception=True)
def upstream_status(request: HttpRequest) -> HttpResponse:
    """GET shows the connection; POST ("Check connection now") makes one small call first."""
    if request.method == "POST":
        status_service.upstream_check()
    template_name = "status/upstream_status.html"
    if request.htmx:
        template_name += "#connection-check"
    return render(request, template_name, status_service.upstream_status())
