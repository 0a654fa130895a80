"""Personal API tokens (/account/tokens/): make one (its text shown once), see when each was
last used, revoke it. Admins who manage users see everyone's tokens and may revoke any."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from agents.forms import ApiTokenForm
from agents.services import api_tokens

TEMPLATE = "registration/api_tokens.html"
# Tokens listed on the page: a person has a handful; an admin sees every user's.
TOKENS_SHOWN = 500


@require_http_methods(["GET", "POST"])
@login_required
def api_token_list(request: HttpRequest) -> HttpResponse:
    """GET: the tokens and the form for a new one. POST: make it, and show its text once."""
    issued = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            issued = api_tokens.api_token_issue(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    everyone = api_tokens.api_tokens_may_manage_all(user=request.user)
    tokens = api_tokens.api_tokens_listed(user=request.user, everyone=everyone)[:TOKENS_SHOWN]
    context = {
        "form": form,
        "issued": issued,
        "everyone": everyone,
        "tokens": [(token, api_tokens.api_token_state(token)) for token in tokens],
    }
    # The new token's text is in this answer only (Cache-Control: no-store, as every page).
    return render(request, TEMPLATE, context, status=201 if issued else 200)


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of your tokens (or, as an admin, anyone's)."""
    token = api_tokens.api_token_get_for_revoke(token_pk=token_id, by=request.user)
    if token is None:
        # Another user's token is not told apart from one that does not exist.
        messages.error(request, "There is no such API token of yours.")
    elif api_tokens.api_token_revoke(token=token, by=request.user):
        owner = "" if token.user_id == request.user.pk else f" of {token.user.get_username()}"
        messages.success(request, f"The API token “{token.name}”{owner} is revoked.")
    else:
        messages.info(request, f"The API token “{token.name}” was revoked already.")
    return redirect("api-tokens")
