"""At most a few CSV exports at once per user: each streams the whole directory (or history)
from the database, so one user clicking Export over and over could occupy every worker."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from django.core.cache import cache

# Enough for a few tabs; an export of 100,000 agents takes seconds, so more is a script.
MAX_EXPORTS_AT_ONCE = 3
# A slot whose release never came (a killed process) frees itself after this.
SLOT_TTL_S = 600
REFUSED_MESSAGE = (
    f"You already have {MAX_EXPORTS_AT_ONCE} CSV exports under way; "
    "wait for one to finish, then try again."
)


class ExportSlot:
    """The export's lines; the user's slot is released when the response is closed, whether
    the download finished or the client went away (Django closes it either way)."""

    def __init__(self, lines: Iterable[str], key: str):
        self._lines = lines
        self._key = key
        self._released = False

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def close(self) -> None:
        if self._released:
            return
        self._released = True
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            cache.decr(self._key)


def export_slot(*, user_id: int, lines: Iterable[str]) -> ExportSlot | None:
    """A slot for one more export by this user, or None when they have all of theirs in use."""
    key = f"csv-exports:{user_id}"
    cache.add(key, 0, SLOT_TTL_S)
    try:
        running = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, SLOT_TTL_S)
        running = 1
    if running > MAX_EXPORTS_AT_ONCE:
        cache.decr(key)
        return None
    return ExportSlot(lines, key)
