"""Session lifetime and caching rules that apply to every page alike."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Iterator
from contextvars import Context, copy_context
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from agents.api.middleware import is_api_request
from agents.api.problems import problem_response
from agents.services.read_model_cache import one_read_model_version
from agents.services.team_scopes import signed_in_team_scope
from agents.team_scope import WHOLE_ACCOUNT, team_scope_active

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


class RequestBodyLimitMiddleware:
    """Refuse a request body over REQUEST_BODY_MAX_BYTES with 413, on every URL, before any of
    it is read: Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, which it
    writes to a temporary file whatever their size, and gunicorn sets no limit on bodies.

    A body sent without a Content-Length (chunked) is read here up to the limit, in memory, and
    handed on as if it had one; Django would otherwise ignore it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_BODY_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return self._too_large(request, limit)
        raw = request.META.get("wsgi.input")
        if not declared and raw is not None and "HTTP_TRANSFER_ENCODING" in request.META:
            body = raw.read(limit + 1)
            if len(body) > limit:
                return self._too_large(request, limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
        message = (
            f"The request is larger than {limit // (1024 * 1024)} MB, the most this site takes."
        )
        if is_api_request(request):
            response = problem_response(request, 413, message)
        else:
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        # The rest of the body is never read: the connection cannot carry another request.
        response["Connection"] = "close"
        return response


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


def _iterate_in(context: Context, chunks: Iterable) -> Iterator:
    """`chunks`, each produced inside `context`: a streamed CSV is written after the view has
    returned, and must still be read within the scope of the request that asked for it."""
    iterator = iter(chunks)
    while True:
        try:
            chunk = context.run(next, iterator)
        except StopIteration:
            return
        yield chunk


class TeamScopeMiddleware:
    """Each request works within its user's team scope (`agents.team_scope`), an API request
    within its token user's: every selector reads it, so no view, partial, export or API
    answer can show or change agents outside it. Streamed answers are read within it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # An API request is its token's user's (agents.api.middleware), never the session's.
        token = getattr(request, "api_token", None)
        user = token.user if token is not None else getattr(request, "user", None)
        scope = signed_in_team_scope(user) if user is not None and user.is_authenticated else None
        with team_scope_active(scope or WHOLE_ACCOUNT):
            response = self.get_response(request)
            if response.streaming and not getattr(response, "is_async", False):
                response.streaming_content = _iterate_in(copy_context(), response.streaming_content)
        return response
