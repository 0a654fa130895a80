"""Values worked out from the read model once per sync, shared by every request and process.

One mechanism: Django's cache, keyed by the caller's validated values and versioned by the read
model's version, which a sync changes in the shared database when it changes agents. Every
process reads the new version on its next request and so stops using the old entries at once,
whatever the cache (local memory in development, Redis when scaled out).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache, caches

from agents.models import SyncRun
from agents.team_scope import active_team_scope

# Only an upper bound on an entry's life: a sync that changes agents retires it earlier.
READ_MODEL_CACHE_SECONDS = 24 * 3600
# An entry that varies by free text (a search) lives no longer than this: every text typed makes
# a key of its own, so they would pile up in the shared cache, keeping what people searched for.
FREE_TEXT_CACHE_SECONDS = 60
# A page reads 2-4 cached values; each process keeps a copy of those it read (CACHES["process"],
# local memory) for this long at most, so most pages make no Redis round trip for them (README,
# Performance). Not longer: what a process worked out while Redis was away reaches Redis soon
# after it is back, and a cleared cache is seen.
PROCESS_COPY_SECONDS = 10


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
    process_copies = caches["process"]
    found = process_copies.get(key, _MISSING, version=version)
    if found is _MISSING:
        found = cache.get_or_set(key, compute, timeout=timeout, version=version)
        copy_timeout = min(timeout, PROCESS_COPY_SECONDS)
        process_copies.set(key, found, timeout=copy_timeout, version=version)
    return found


_MISSING = object()
