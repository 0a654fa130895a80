from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def job_list(request):
    return HttpResponse("cad: not built yet")


@login_required
def selection_update(request):
    return HttpResponse("cad: not built yet")


@login_required
def job_confirm(request):
    return HttpResponse("cad: not built yet")


@login_required
def job_start(request):
    return HttpResponse("cad: not built yet")


@login_required
def job_detail(request, public_id):
    return HttpResponse("cad: not built yet")


@login_required
def job_retry(request, public_id):
    return HttpResponse("cad: not built yet")


@login_required
def job_undo(request, public_id):
    return HttpResponse("cad: not built yet")
