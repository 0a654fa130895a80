"""The users page (admins): each user's role, how they sign in, last sign-in; disabling an
account, which ends its sessions at once. The team-scopes issue adds its columns here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from agents.account_lists import UserListState
from agents.services import user_accounts
from agents.views.lists import list_page, render_list

LIST_TEMPLATE = "users/user_list.html"


@require_GET
@login_required
@permission_required("auth.view_user", raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    state = UserListState(request.GET)
    users = user_accounts.users_matching(state.filters)
    page = list_page(state, users, per_page=user_accounts.USERS_PER_PAGE)
    if clean := state.redirect_to_clean_url(request):
        return clean
    context = {
        "list": state,
        "page": page,
        "can_change": request.user.has_perm("auth.change_user"),
    }
    response = render_list(request, LIST_TEMPLATE, "user-table", context)
    state.push_clean_url(request, response)
    return response


def _back_to_list(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("user-list")


@require_POST
@login_required
@permission_required("auth.change_user", raise_exception=True)
def user_disable(request: HttpRequest, user_id: int) -> HttpResponse:
    """Disable the account: it can no longer sign in, and its sessions end now."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    if user == request.user:
        messages.error(request, "You cannot disable your own account.")
        return _back_to_list(request)
    ended = user_accounts.user_disable(user=user)
    messages.success(
        request,
        f"{user.get_username()} is disabled; {ended} session{'s' if ended != 1 else ''} ended.",
    )
    return _back_to_list(request)


@require_POST
@login_required
@permission_required("auth.change_user", raise_exception=True)
def user_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    """Let a disabled account sign in again."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    user_accounts.user_enable(user=user)
    messages.success(request, f"{user.get_username()} can sign in again.")
    return _back_to_list(request)
