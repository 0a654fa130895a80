"""Session lifetime and caching rules that apply to every page alike."""

from __future__ import annotations

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from agents.services.read_model_cache import one_read_model_version

STARTED_KEY = "_session_started"
SEEN_KEY = "_session_seen"
# The last-seen time is written at most this often: a session write per request would cost a
# database or Redis write for every page, poll and swap, for no gain in precision worth having.
SEEN_RESOLUTION_S = 60
# Sent by the page's own background polls (the home page's refresh, a job's progress, the
# directory while a sync runs), from `hx-headers` on the polling element: they are not a
# person doing something, so they never restart the idle clock.
BACKGROUND_POLL_HEADER = "X-Background-Poll"


def is_background_poll(request: HttpRequest) -> bool:
    """Whether the request is a page's own poll rather than something a person did."""
    return request.headers.get(BACKGROUND_POLL_HEADER) == "1"


def session_start(sender, request, user, **kwargs) -> None:
    """At log-in: both clocks start (saved with the log-in's own session write)."""
    request.session[STARTED_KEY] = request.session[SEEN_KEY] = int(time.time())


class SessionLifetimeMiddleware:
    """Log a user out after DJANGO_SESSION_IDLE_MINUTES idle or DJANGO_SESSION_MAX_HOURS in all.

    Idle means no request made by the person: a page's background polls do not count.

    Django's own SESSION_COOKIE_AGE is one number for both; the cookie keeps the absolute
    limit and this checks both on the server, where the client cannot stretch them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                if getattr(request, "htmx", False):
                    # A swap would put the log-in page inside the current one: reload instead.
                    page = request.htmx.current_url_abs_path or "/"
                    login = resolve_url(settings.LOGIN_URL)
                    return HttpResponseClientRedirect(f"{login}?next={quote(page)}")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        session = request.session
        now = int(time.time())
        started = session.get(STARTED_KEY)
        seen = session.get(SEEN_KEY)
        if not isinstance(started, int) or not isinstance(seen, int):
            # A session from before these limits: its clocks start now.
            session[STARTED_KEY] = session[SEEN_KEY] = now
            return ""
        idle_minutes = settings.SESSION_IDLE_MINUTES
        if now - seen > idle_minutes * 60:
            return f"You were logged out after {idle_minutes} minutes without activity."
        max_hours = settings.SESSION_MAX_HOURS
        if now - started > max_hours * 3600:
            return f"You were logged out: a session lasts at most {max_hours} hours."
        if now - seen >= SEEN_RESOLUTION_S and not is_background_poll(request):
            session[SEEN_KEY] = now
        return ""


class NoStoreMiddleware:
    """Nothing this app answers may be kept by a browser or a proxy: pages and CSV files carry
    agents' personal data. Static files are served before this (whitenoise) and stay cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class ReadModelVersionMiddleware:
    """Each request reads the read model's version once (`one_read_model_version`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with one_read_model_version():
            return self.get_response(request)
