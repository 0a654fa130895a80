"""Users as the admins manage them: the users page's list, disabling an account, and every
signed-in session of a user (to end them all at once).

A session is recorded (`UserSession`) when it signs in and forgotten when it signs out, so
"end every session of this user" does not have to decode every row of Django's session table.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from agents.models import SingleSignOnIdentity, UserSession, UserTeamScope
from agents.roles import ROLE_PERMISSIONS
from agents.services.api_tokens import api_tokens_revoke_all
from agents.services.team_scopes import users_in_scope

# A page of the users list: a call center's dashboard has tens of users, rarely hundreds.
USERS_PER_PAGE = 50
NO_ROLE = "none"  # the role filter's value for users in no role
WHOLE_ACCOUNT_SCOPE = "all"  # the scope filter's value for users without a team scope


@dataclass(frozen=True, slots=True)
class UserFilters:
    """The users page's validated filters: a role (or NO_ROLE), active or disabled, a name."""

    role: str = ""
    status: str = ""  # "", "active" or "disabled"
    search: str = ""
    scope_group: str = ""  # a DeepCall group id in the user's scope, or WHOLE_ACCOUNT_SCOPE


def user_session_record(*, user, session_key: str | None) -> None:
    """Remember that `session_key` is `user`'s (at sign-in)."""
    if session_key:
        UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def user_session_forget(*, session_key: str | None) -> None:
    """At sign-out: the session is gone."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def user_sessions_end(*, user, keep_session_key: str | None = None) -> int:
    """End every session of `user` but `keep_session_key`, at once; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_other_session_count(*, user, session_key: str | None) -> int:
    """How many other sessions of `user` are signed in (as far as they were recorded)."""
    return UserSession.objects.filter(user=user).exclude(session_key=session_key or "").count()


@transaction.atomic
def user_disable(*, user, by=None) -> int:
    """Disable the account and end its access at once: every session now, and every API token
    (revoked, by `by`), so that disabling an account means "nothing of theirs works any more".
    Returns the number of sessions ended."""
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    api_tokens_revoke_all(user=user, by=by)
    return user_sessions_end(user=user)


def user_enable(*, user) -> None:
    """Let a disabled user sign in again (their old sessions stay ended)."""
    get_user_model().objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True


def users_matching(filters: UserFilters) -> QuerySet:
    """Users the filters select (within the team scope in force: `users_in_scope`), by
    username, with their roles, single sign-on identity and whether they have an
    authenticator."""
    users = (
        users_in_scope()
        .order_by("username")
        .select_related("sso_identity")
        .prefetch_related(
            Prefetch(
                "groups",
                queryset=get_user_model().groups.field.related_model.objects.filter(
                    name__in=ROLE_PERMISSIONS
                ),
                to_attr="role_groups",
            )
        )
        .annotate(
            has_authenticator=Exists(
                TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
            ),
            uses_sso=Exists(SingleSignOnIdentity.objects.filter(user=OuterRef("pk"))),
        )
    )
    if filters.role == NO_ROLE:
        users = users.exclude(groups__name__in=ROLE_PERMISSIONS)
    elif filters.role:
        users = users.filter(groups__name=filters.role)
    if filters.status:
        users = users.filter(is_active=filters.status == "active")
    if filters.search:
        users = users.filter(username__icontains=filters.search)
    if filters.scope_group == WHOLE_ACCOUNT_SCOPE:
        users = users.exclude(pk__in=UserTeamScope.objects.values("user_id"))
    elif filters.scope_group:
        # A JSON list cannot be searched alike on every database; a few hundred rows at most.
        rows = UserTeamScope.objects.values_list("user_id", "group_ids")
        users = users.filter(pk__in=[pk for pk, ids in rows if filters.scope_group in ids])
    return users
