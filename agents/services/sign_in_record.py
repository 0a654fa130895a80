"""The sign-in record: every sign-in, failure, lockout, sign-out and two-factor enrolment,
with who, when, from which address and by which method (password, single sign-on, code).

Written from Django's and django-axes' signals (`sign_in_record_receivers_connect`) and by
the two-factor views; read by admins beside the export trail, filtered and paged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet

from agents.client_address import client_ip
from agents.models import SignInEvent
from agents.services.team_scopes import sign_in_events_in_scope
from agents.services.user_accounts import user_session_forget, user_session_record

logger = logging.getLogger(__name__)

EVENTS_PER_PAGE = 50
SSO_BACKEND = "agents.single_sign_on.SingleSignOnBackend"
Kind = SignInEvent.Kind
Method = SignInEvent.Method


@dataclass(frozen=True, slots=True)
class SignInFilters:
    """The record's validated filters."""

    username: str = ""
    kind: str = ""
    method: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def sign_in_event_record(
    *, request, kind: str, method: str = "", user=None, username: str = "", detail: str = ""
) -> SignInEvent:
    """Record one event, the address taken as the login throttle takes it."""
    if user is not None and not username:
        username = user.get_username()
    return SignInEvent.objects.create(
        user=user if user is not None and user.pk else None,
        username=username[:150],
        kind=kind,
        method=method,
        address=client_ip(request) if request is not None else None,
        detail=detail[:200],
    )


def sign_in_events_matching(filters: SignInFilters) -> QuerySet:
    """Events the filters select (of the users in the team scope in force), newest first."""
    events = sign_in_events_in_scope(SignInEvent.objects.all())
    if filters.username:
        events = events.filter(username__icontains=filters.username)
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.method:
        events = events.filter(method=filters.method)
    if filters.date_from:
        events = events.filter(at__date__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(at__date__lte=filters.date_to)
    return events


def _method_of(user) -> str:
    return Method.SSO if getattr(user, "backend", "") == SSO_BACKEND else Method.PASSWORD


def _signed_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    user_session_record(user=user, session_key=request.session.session_key)
    sign_in_event_record(request=request, kind=Kind.SIGNED_IN, method=_method_of(user), user=user)


def _signed_out(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    user_session_forget(session_key=request.session.session_key)
    if user is not None:
        sign_in_event_record(request=request, kind=Kind.SIGNED_OUT, user=user)


def _failed(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return
    if sender == "agents.two_factor":
        method = Method.CODE
    elif "nonce" in credentials:
        method = Method.SSO
    else:
        method = Method.PASSWORD
    username = str(credentials.get("username") or "")
    sign_in_event_record(request=request, kind=Kind.FAILED, method=method, username=username)


def _locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    sign_in_event_record(request=request, kind=Kind.LOCKED_OUT, username=str(username or ""))


def sign_in_record_receivers_connect() -> None:
    """Connect the receivers that write the record (once, from AppConfig.ready)."""
    user_logged_in.connect(_signed_in, dispatch_uid="agents.sign_in_record.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="agents.sign_in_record.signed_out")
    user_login_failed.connect(_failed, dispatch_uid="agents.sign_in_record.failed")
    user_locked_out.connect(_locked_out, dispatch_uid="agents.sign_in_record.locked_out")
