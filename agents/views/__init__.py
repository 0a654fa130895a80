"""Views: HTTP only. They parse input with forms, call `agents.services`, and render.

One module per page or group of pages, named for it (directory, cad, changes, schedules, targets,
status, exports); the home page and health check here.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from agents import services
from agents.services.readiness import readiness_check
from agents.views.lists import render_list


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and `make run`'s readiness check: the process answers, the DB too."""
    return JsonResponse({"status": "ok", "database": services.database_ok()})


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """For an orchestrator: 200 when the database answers and a task worker is alive, else
    503; a cache without Redis is reported as degraded but ready. `/healthz/` stays the
    liveness check."""
    readiness = readiness_check()
    return JsonResponse(readiness.as_dict(), status=200 if readiness.ready else 503)


@require_GET
@login_required
@permission_required("agents.view_agent", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    # The counts come from the local copy: refresh it in the background when it is stale.
    services.agent_sync_request(trigger="ttl")
    # An htmx request is the page's own poll: only its live part.
    return render_list(request, "home.html", "home-live", services.home_summary(user=request.user))
