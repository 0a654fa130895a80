"""The DeepCall status page: how the dashboard reaches the Agent API, and a check on demand."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from agents.services import connection_check
from agents.services.cooldown import CONNECTION_CHECK_COOLDOWN_S, cooldown_start
from agents.services.task_workers import task_workers_status
from agents.views.lists import render_list


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
            connection_check.upstream_check()
    context = (
        connection_check.upstream_status()
        | task_workers_status()
        | {"cooldown_message": cooldown_message}
    )
    return render_list(request, "status/upstream_status.html", "connection-check", context)
