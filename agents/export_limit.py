"""At most a few CSV exports at once per user: each streams the whole directory (or history)
from the database, so one user clicking Export over and over could occupy every worker.

Every export that gets a slot is recorded (`CsvExport`) for the admins' audit trail."""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from agents.models import CsvExport
from agents.services.team_scopes import team_scope_record
from agents.team_scope import active_team_scope

# Enough for a few tabs; an export of 100,000 agents takes seconds, so more is a script.
MAX_EXPORTS_AT_ONCE = 3
# A slot is renewed while its export streams, so it only has to outlive the gap between two
# renewals: one whose release never came (a killed process) frees itself after this.
SLOT_TTL_S = 120
RENEW_EVERY_S = 30
REFUSED_MESSAGE = (
    f"You already have {MAX_EXPORTS_AT_ONCE} CSV exports under way; "
    "wait for one to finish, then try again."
)


def _slot_keys(user_id: int) -> list[str]:
    # One key per slot rather than a counter: a slot that expires or is released twice frees
    # only itself, so the count of slots in use can neither drift nor go below zero.
    return [f"csv-exports:{user_id}:{n}" for n in range(1, MAX_EXPORTS_AT_ONCE + 1)]


class ExportSlot:
    """The export's lines; the user's slot is renewed while they stream and released when the
    response is closed, whether the download finished or the client went away (Django closes
    it either way). Closing also writes the rows sent to the export's audit record."""

    def __init__(self, lines: Iterable[str], key: str, token: str):
        self._lines = lines
        self._key = key
        self._token = token
        self._released = False
        self.record: CsvExport | None = None  # set once the export is recorded
        self._sent = 0
        self._completed = False

    def __iter__(self) -> Iterator[str]:
        renew_at = time.monotonic() + RENEW_EVERY_S
        for line in self._lines:
            yield line
            self._sent += 1
            if time.monotonic() >= renew_at:
                cache.touch(self._key, SLOT_TTL_S)
                renew_at = time.monotonic() + RENEW_EVERY_S
        self._completed = True

    def close(self) -> None:
        if self._released:
            return
        self._released = True
        try:
            if self.record is not None:
                # Django closes the response before the request's database connection.
                CsvExport.objects.filter(pk=self.record.pk).update(
                    rows=max(self._sent - 1, 0),
                    completed=self._completed,  # header excluded
                )
        finally:
            # Released even when the record cannot be written (a client gone mid-download,
            # the connection closed): Django swallows what close() raises, and the slot would
            # stay taken until it expired. Only our own: a slot that expired meanwhile may be
            # another export's now. Not found is ours too: taken while Redis was away, it
            # lives in this process's memory.
            if cache.get(self._key) in (None, self._token):
                cache.delete(self._key)


def export_slot(*, user_id: int, lines: Iterable[str]) -> ExportSlot | None:
    """A slot for one more export by this user, or None when they have all of theirs in use."""
    token = uuid.uuid4().hex
    for key in _slot_keys(user_id):
        if cache.add(key, token, SLOT_TTL_S):
            return ExportSlot(lines, key, token)
    return None


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_export_response(
    request: HttpRequest,
    *,
    rows: Iterable[Sequence],
    filter_query: str,
    filename: str,
    lineterminator: str = "\r\n",
    stream: bool = True,
) -> HttpResponse:
    """The streamed CSV download of `rows` (header first), within the user's export limit
    (a 429 past it) and recorded in the audit trail with the validated `filter_query`. With
    `stream=False` (files of a few hundred rows) the whole file is built, counted, then sent."""
    # Every field quoted: a spreadsheet whose list separator is not the comma (a semicolon in
    # much of Europe) still keeps each cell whole, so `x;=HYPERLINK(…)` cannot start a formula.
    writer = csv.writer(_Echo(), lineterminator=lineterminator, quoting=csv.QUOTE_ALL)
    slot = export_slot(user_id=request.user.pk, lines=(writer.writerow(row) for row in rows))
    if slot is None:
        return HttpResponse(REFUSED_MESSAGE, status=429, content_type="text/plain")
    slot.record = CsvExport.objects.create(
        user=request.user,
        username=request.user.get_username(),
        path=request.path,
        filter_query=filter_query,
        scope_keys=team_scope_record(active_team_scope()),
    )
    if stream:
        response = StreamingHttpResponse(slot, content_type="text/csv; charset=utf-8")
    else:  # a small file: built whole within the slot, then sent
        try:
            content = "".join(slot)
        finally:
            slot.close()
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
