from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def upstream_status(request):
    return HttpResponse("status: not built yet")
