"""The users page (admins): each user's role, how they sign in, last sign-in; disabling an
account, which ends its sessions at once; each user's team scope, which admins with the whole
account change (and every change of it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.forms import UserScopeForm
from agents.liststate import UserListState
from agents.services import team_scopes, user_accounts
from agents.team_scope import WHOLE_ACCOUNT
from agents.views.lists import list_page, render_list

LIST_TEMPLATE = "users/user_list.html"
SCOPE_TEMPLATE = "users/user_scope.html"
# The scope page lists a user's latest changes of scope; a scope changes a few times a year.
SCOPE_CHANGES_SHOWN = 50


@require_GET
@login_required
@permission_required("auth.view_user", raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    state = UserListState(request.GET)
    users = user_accounts.users_matching(state.filters)
    page = list_page(state, users, per_page=user_accounts.USERS_PER_PAGE)
    if clean := state.redirect_to_clean_url(request):
        return clean
    accounts = list(page.object_list)
    scopes = team_scopes.team_scopes_of(accounts)
    context = {
        "list": state,
        "page": page,
        "accounts": [
            (account, team_scopes.team_scope_label(scopes.get(account.pk, WHOLE_ACCOUNT)))
            for account in accounts
        ],
        "can_change": request.user.has_perm("auth.change_user"),
        "can_change_scopes": team_scopes.team_scopes_may_change(user=request.user),
    }
    response = render_list(request, LIST_TEMPLATE, "user-table", context)
    state.push_clean_url(request, response)
    return response


def _back_to_list(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("user-list")


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("auth.change_user", raise_exception=True)
def user_scope(request: HttpRequest, user_id: int) -> HttpResponse:
    """GET: the user's team scope, to change, and every change of it. POST: change it."""
    if not team_scopes.team_scopes_may_change(user=request.user):
        raise PermissionDenied("Only an admin with the whole account may change team scopes.")
    account = get_object_or_404(get_user_model(), pk=user_id)
    current = team_scopes.team_scope_of(user=account)
    choices = team_scopes.team_scope_group_choices(current)
    if request.method == "POST":
        form = UserScopeForm(request.POST, group_choices=choices)
        if form.is_valid():
            change = team_scopes.team_scope_set(
                user=account, scope=form.scope(), changed_by=request.user
            )
            if change is None:
                messages.info(request, f"{account.get_username()}'s scope was already so.")
            else:
                label = team_scopes.team_scope_label(change.after)
                messages.success(request, f"{account.get_username()} now sees: {label}.")
            return redirect("user-scope", user_id=account.pk)
    else:
        form = UserScopeForm(
            group_choices=choices,
            initial={
                "extent": UserScopeForm.WHOLE if current.is_whole_account else UserScopeForm.GROUPS,
                "groups": sorted(current.group_ids or ()),
            },
        )
    changes = [
        (
            change,
            team_scopes.team_scope_label(change.before),
            team_scopes.team_scope_label(change.after),
        )
        for change in team_scopes.team_scope_changes(user=account)[:SCOPE_CHANGES_SHOWN]
    ]
    context = {"account": account, "form": form, "changes": changes}
    return render(request, SCOPE_TEMPLATE, context)


@require_POST
@login_required
@permission_required("auth.change_user", raise_exception=True)
def user_disable(request: HttpRequest, user_id: int) -> HttpResponse:
    """Disable the account: it can no longer sign in, and its sessions end now. A user outside
    the admin's team scope answers 404, as on the users page they are not listed."""
    user = get_object_or_404(team_scopes.users_in_scope(), pk=user_id)
    if user == request.user:
        messages.error(request, "You cannot disable your own account.")
        return _back_to_list(request)
    ended = user_accounts.user_disable(user=user, by=request.user)
    messages.success(
        request,
        f"{user.get_username()} is disabled; {ended} session{'s' if ended != 1 else ''} ended.",
    )
    return _back_to_list(request)


@require_POST
@login_required
@permission_required("auth.change_user", raise_exception=True)
def user_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    """Let a disabled account sign in again (a user outside the team scope: 404)."""
    user = get_object_or_404(team_scopes.users_in_scope(), pk=user_id)
    user_accounts.user_enable(user=user)
    messages.success(request, f"{user.get_username()} can sign in again.")
    return _back_to_list(request)
