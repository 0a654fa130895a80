from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def schedule_overview(request):
    return HttpResponse("schedules: not built yet")


@login_required
def coverage_export(request):
    return HttpResponse("schedules: not built yet")


@login_required
def slot_detail(request):
    return HttpResponse("schedules: not built yet")
