"""The sign-in record (admins): sign-ins, failures, lockouts, sign-outs and two-factor
enrolments, filtered and paged, beside the export trail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from agents.account_lists import SignInListState
from agents.views.directory import _is_partial

LIST_TEMPLATE = "status/sign_in_list.html"


@require_GET
@login_required
@permission_required("agents.view_signinevent", raise_exception=True)
def sign_in_list(request: HttpRequest) -> HttpResponse:
    state = SignInListState(request.GET)
    page = state.get_results()
    if clean := state.redirect_to_clean_url(request):
        return clean
    template_name = LIST_TEMPLATE + ("#sign-in-table" if _is_partial(request) else "")
    response = render(request, template_name, {"list": state, "page": page})
    state.push_clean_url(request, response)
    patch_vary_headers(response, ("HX-Request",))
    return response
