"""The sign-in record (admins): sign-ins, failures, lockouts, sign-outs and two-factor
enrolments, filtered and paged, beside the export trail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from agents.liststate import SignInListState
from agents.services import sign_in_record
from agents.views.lists import list_page, render_list

LIST_TEMPLATE = "status/sign_in_list.html"


@require_GET
@login_required
@permission_required("agents.view_signinevent", raise_exception=True)
def sign_in_list(request: HttpRequest) -> HttpResponse:
    state = SignInListState(request.GET)
    events = sign_in_record.sign_in_events_matching(state.filters)
    page = list_page(state, events, per_page=sign_in_record.EVENTS_PER_PAGE)
    if clean := state.redirect_to_clean_url(request):
        return clean
    context = {"list": state, "page": page}
    response = render_list(request, LIST_TEMPLATE, "sign-in-table", context)
    state.push_clean_url(request, response)
    return response
