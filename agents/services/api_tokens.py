"""Personal API tokens: make one (shown once), check one at every API request, revoke, list.

A token reads `dct_<prefix>_<secret>`: the prefix is public (it finds the row and tells tokens
apart in lists), the secret is 32 random bytes. Only the SHA-256 of the whole token is stored,
so the database alone never yields a working token. A token acts as its user: the user's role
and team scope are read at every request, so a role or scope taken away, a disabled account,
an expiry or a revocation takes effect at the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from agents.models import ApiToken
from agents.services.team_scopes import users_in_scope

TOKEN_PREFIX = "dct_"  # noqa: S105 - the public mark of our tokens, not a secret
# 8 characters of base32-ish text: enough to tell a user's tokens apart and to find the row;
# the secret, not the prefix, is what makes a token impossible to guess.
PREFIX_LENGTH = 8
SECRET_BYTES = 32
DEFAULT_DAYS = 90
# A year at most: a token outliving the script it was made for is a liability.
MAX_DAYS = 365
NAME_MAX_LENGTH = 100
# `last_used_at` is written at most this often: a write per request would cost a database
# write for each of a script's calls, for a precision nobody reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A made-up hash compared against when no row has the prefix, so an unknown prefix costs the
# same comparison as a known one.
_NO_HASH = "0" * 64


class ApiTokenRefused(Exception):
    """The token does not open the API; `message` says why, for the script's author."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `token` is the only time its text exists outside the caller's hands."""

    record: ApiToken
    token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_prefix() -> str:
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes (l, 1, o, 0)
    return "".join(secrets.choice(alphabet) for _ in range(PREFIX_LENGTH))


def api_token_issue(*, user, name: str, days: int = DEFAULT_DAYS) -> IssuedToken:
    """Make a token for `user`, valid for `days` days; returns it with its one-time text."""
    name = name.strip()
    if not name:
        raise ValueError("Give the token a name, e.g. the script that will use it.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"A token's name has at most {NAME_MAX_LENGTH} characters.")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"A token lasts from 1 to {MAX_DAYS} days.")
    while True:
        prefix = _new_prefix()
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    record = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return IssuedToken(record=record, token=token)


def api_token_authenticate(token: str) -> ApiToken:
    """The token's record (its `user` loaded), or ApiTokenRefused saying why not: unknown,
    revoked, expired, or its user disabled. Notes when it was used (at most once a minute)."""
    prefix = ""
    if token.startswith(TOKEN_PREFIX):
        prefix = token.removeprefix(TOKEN_PREFIX).partition("_")[0]
    record = (
        ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if len(prefix) == PREFIX_LENGTH and prefix.isascii() and prefix.isalnum()
        else None
    )
    expected = record.secret_hash if record is not None else _NO_HASH
    if not hmac.compare_digest(expected, _hash(token)) or record is None:
        raise ApiTokenRefused("The API token is not valid.")
    now = timezone.now()
    if record.revoked_at is not None:
        raise ApiTokenRefused("This API token was revoked.")
    if record.expires_at <= now:
        raise ApiTokenRefused("This API token has expired: make a new one on /account/tokens/.")
    if not record.user.is_active:
        raise ApiTokenRefused("The account of this API token is disabled.")
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return record


def api_tokens_may_manage_all(*, user) -> bool:
    """Whether `user` sees and may revoke everyone's tokens: the admins who manage users."""
    return user.has_perm("auth.change_user")


def api_token_revoke(*, token: ApiToken, by) -> bool:
    """Revoke `token` as `by` (its owner, or an admin: else PermissionDenied). Returns False
    when it was revoked already."""
    if token.user_id != by.pk and not api_tokens_may_manage_all(user=by):
        raise PermissionDenied("Only an admin may revoke another user's API token.")
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    return bool(updated)


def api_tokens_revoke_all(*, user, by=None) -> int:
    """Revoke every live token of `user` (an account being disabled); returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )


def api_tokens_listed(*, user, everyone: bool = False) -> QuerySet[ApiToken]:
    """`user`'s tokens, newest first; with `everyone` (admins only), the tokens of every user
    within the team scope in force (`users_in_scope`: a scoped admin manages their team only)."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if everyone:
        if not api_tokens_may_manage_all(user=user):
            raise PermissionDenied("Only an admin may list every user's API tokens.")
        return tokens.filter(user__in=users_in_scope())
    return tokens.filter(user=user)


def api_token_get_for_revoke(*, token_pk: int, by) -> ApiToken | None:
    """The token `by` may revoke (their own, or for an admin, any user's within the team scope
    in force), or None."""
    tokens = ApiToken.objects.filter(pk=token_pk)
    if api_tokens_may_manage_all(user=by):
        return tokens.filter(Q(user=by) | Q(user__in=users_in_scope())).first()
    return tokens.filter(user=by).first()


def api_token_state(token: ApiToken) -> str:
    """ "revoked", "expired" or "active", in that order of precedence."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= timezone.now():
        return "expired"
    return "active"
