"""Values read once per request: the freshness of the copy is asked for by the staleness check,
the page's banner, the filter choices and the cache keys, and all of them see one answer.

Only between Django's `request_started` and `request_finished` signals: a worker, a command or
a shell computes every call afresh, so nothing outlives the request it was read in. Code that
changes what a memoised function reads (queueing or finishing a sync) calls `forget_all`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from asgiref.local import Local
from django.core.signals import request_finished, request_started

_state = Local()


def per_request[T](func: Callable[[], T]) -> Callable[[], T]:
    """Decorate a function of no arguments so that a request computes it at most once."""

    @functools.wraps(func)
    def wrapper() -> T:
        memo = getattr(_state, "memo", None)
        if memo is None:  # not inside a request
            return func()
        if func not in memo:
            memo[func] = func()
        return memo[func]

    return wrapper


def forget_all() -> None:
    """Drop what this request has memoised (it has just changed)."""
    memo = getattr(_state, "memo", None)
    if memo is not None:
        memo.clear()


def _request_started(**kwargs) -> None:
    _state.memo = {}


def _request_finished(**kwargs) -> None:
    _state.memo = None


request_started.connect(_request_started, dispatch_uid="agents.request_memo.started")
request_finished.connect(_request_finished, dispatch_uid="agents.request_memo.finished")
