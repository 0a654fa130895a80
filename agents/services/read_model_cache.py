"""Values worked out from the read model once per sync, shared by every request and process.

One mechanism: Django's cache, keyed by the caller's validated values and versioned by the read
model's version, which a sync changes in the shared database when it changes agents. Every
process reads the new version on its next request and so stops using the old entries at once,
whatever the cache (local memory in development, Redis when scaled out).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache

from agents.models import SyncRun
from agents.team_scope import active_team_scope

# Only an upper bound on an entry's life: a sync that changes agents retires it earlier.
READ_MODEL_CACHE_SECONDS = 24 * 3600
# An entry that varies by free text (a search) lives no longer than this: every text typed makes
# a key of its own, so they would pile up in the shared cache, keeping what people searched for.
FREE_TEXT_CACHE_SECONDS = 60


# Within `one_read_model_version()`: the version the first cached value read, once read.
_pinned_version: ContextVar[list[int] | None] = ContextVar("read_model_version", default=None)


def read_model_version(*, fresh: bool = False) -> int:
    """The version of the read model: changes, in the shared database, whenever a sync changes
    agents (0 before the first). What is cached from the read model is versioned by it.

    `fresh` reads the database even within `one_read_model_version()`, and pins what it read
    (a sync run inside a request, as the tests' immediate tasks do)."""
    pinned = _pinned_version.get()
    if pinned and not fresh:
        return pinned[0]
    last = SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED).order_by("-started_at")
    version = last.values_list("read_model_version", flat=True).first() or 0
    if pinned is not None:
        pinned[:] = [version]
    return version


def read_model_version_seen(version: int) -> None:
    """A caller that has just read the last good sync anyway (the sync status) hands its
    version over, so a page asking for cached values does not read it a second time."""
    pinned = _pinned_version.get()
    if pinned is not None and not pinned:
        pinned.append(version)


@contextmanager
def one_read_model_version() -> Iterator[None]:
    """Inside, the read model's version is read once, when first asked for: every value a
    page shows comes from the same version (`ReadModelVersionMiddleware` wraps each request).
    A directory page asked for it three times, a query each."""
    token = _pinned_version.set([])
    try:
        yield
    finally:
        _pinned_version.reset(token)


def cached_per_version[T](
    name: str,
    compute: Callable[[], T],
    *key_parts: object,
    timeout: int = READ_MODEL_CACHE_SECONDS,
    free_text: str = "",
) -> T:
    """`compute()`, worked out once per read-model version for `name` and `key_parts`.

    `key_parts` are validated values (a frozen dataclass, ints, strings); their repr is hashed,
    so a key stays short and safe for every cache backend whatever the values hold. `timeout`
    shortens an entry's life where something besides the read model may change it (a deploy's
    new markup for a rendered fragment). `free_text` is the text search among the key parts, if
    any: then the entry lives at most `FREE_TEXT_CACHE_SECONDS`. Within a team scope
    (`agents.team_scope`) the scope is part of the key: what a scoped user is shown is worked out
    for their agents only.
    """
    if free_text:
        timeout = min(timeout, FREE_TEXT_CACHE_SECONDS)
    key = f"agents:{name}"
    scope = active_team_scope()
    if not scope.is_whole_account:
        key_parts = (*key_parts, scope.cache_key)
    if key_parts:
        key += ":" + hashlib.sha256(repr(key_parts).encode()).hexdigest()[:32]
    version = read_model_version()
    found = _recent.get(key, version)
    if found is _MISSING:
        found = cache.get_or_set(key, compute, timeout=timeout, version=version)
        _recent.put(key, version, found, timeout)
    return found


_MISSING = object()


class RecentEntries:
    """The entries this process last read from the cache, kept in its memory as well.

    An entry never changes once written (a new read-model version makes new keys), so a page's
    several cached values (counts, filter choices, rendered fragments: 2-4 a page) need not
    each be a Redis round trip and an unpickling on every request, about 0.15 ms of CPU each
    (README, Performance). A copy is kept `max_seconds` at most (and no longer than the entry's
    own timeout; by `time.time`, the clock of Django's local-memory cache), then read from the
    shared cache again: what a process worked out while Redis was away reaches Redis soon after
    it is back, and a cleared cache is seen. At most `max_entries` copies, the least recently
    read leaving first. What is returned is shared by every request of the process:
    callers treat cached values as read-only.
    """

    def __init__(self, *, max_entries: int, max_seconds: float) -> None:
        self.max_entries = max_entries
        self.max_seconds = max_seconds
        self._entries: OrderedDict[tuple[str, int], tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, version: int) -> object:
        with self._lock:
            found = self._entries.get((key, version))
            if found is None:
                return _MISSING
            if found[0] < time.time():
                del self._entries[key, version]
                return _MISSING
            self._entries.move_to_end((key, version))
            return found[1]

    def put(self, key: str, version: int, value: object, timeout: int) -> None:
        with self._lock:
            expires = time.time() + min(timeout, self.max_seconds)
            self._entries[key, version] = (expires, value)
            self._entries.move_to_end((key, version))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_recent = RecentEntries(max_entries=128, max_seconds=10)


def forget_recent_entries() -> None:
    """Empty this process's copies (with `cache.clear()`: a test's fresh cache)."""
    _recent.clear()
