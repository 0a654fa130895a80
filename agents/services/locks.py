"""Transaction-scoped locks that serialise a few writers across processes."""

import zlib

from django.db import connection


def lock_until_commit(name: str) -> None:
    """Hold the lock called `name` until the caller's transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock keyed on the name. SQLite needs nothing:
    the project opens its transactions IMMEDIATE (settings), which admits one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
