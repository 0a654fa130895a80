from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def agent_list(request):
    return HttpResponse("directory: not built yet")


@login_required
def agent_export(request):
    return HttpResponse("export: not built yet")


@login_required
def agent_refresh(request):
    return HttpResponse("refresh: not built yet")


@login_required
def agent_detail(request, agent_id):
    return HttpResponse("detail: not built yet")
