"""Export slots: one key each, renewed while the export streams, never counted below zero."""

import pytest
from django.core.cache import cache
from django.db import DatabaseError

from agents import export_limit
from agents.export_limit import MAX_EXPORTS_AT_ONCE, export_slot
from agents.models import CsvExport


def test_a_slot_is_renewed_while_its_export_streams(monkeypatch):
    monkeypatch.setattr(export_limit, "RENEW_EVERY_S", 0)
    renewed = []
    monkeypatch.setattr(cache, "touch", lambda key, timeout: renewed.append((key, timeout)))
    slot = export_slot(user_id=1, lines=["a\r\n", "b\r\n", "c\r\n"])
    assert list(slot) == ["a\r\n", "b\r\n", "c\r\n"]
    assert renewed == [("csv-exports:1:1", export_limit.SLOT_TTL_S)] * 3


def test_releasing_a_slot_twice_frees_one_slot_only():
    slots = [export_slot(user_id=2, lines=[]) for _ in range(MAX_EXPORTS_AT_ONCE)]
    slots[0].close()
    slots[0].close()
    assert export_slot(user_id=2, lines=[]) is not None
    assert export_slot(user_id=2, lines=[]) is None  # the others are still held


def test_a_slot_that_expired_and_was_taken_again_is_not_released_by_its_old_holder():
    old = export_slot(user_id=3, lines=[])
    cache.delete("csv-exports:3:1")  # expired: the key is gone
    new = export_slot(user_id=3, lines=[])  # and taken by another export
    old.close()
    assert cache.get("csv-exports:3:1") is not None  # still the new export's
    new.close()
    assert cache.get("csv-exports:3:1") is None


def test_a_slot_is_released_even_when_its_audit_record_cannot_be_written(monkeypatch):
    # A client that goes away mid-download: the response is closed after the request's
    # database connection may already be gone, and Django swallows what close() raises.
    class DatabaseGone:
        def filter(self, **lookups):
            raise DatabaseError("Cannot operate on a closed database.")

    slots = [export_slot(user_id=4, lines=[]) for _ in range(MAX_EXPORTS_AT_ONCE)]
    slots[0].record = CsvExport(pk=1)
    monkeypatch.setattr(CsvExport, "objects", DatabaseGone())
    with pytest.raises(DatabaseError):
        slots[0].close()
    assert export_slot(user_id=4, lines=[]) is not None
