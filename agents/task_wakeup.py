"""Wake the task worker the moment a task is queued, rather than at its next look at the queue.

django-tasks-db's worker finds queued tasks by asking the database every `--interval` seconds:
a short interval starts a CAD job sooner but costs CPU all day long. Here every task queued on
the database backend sends a wake-up once its transaction has committed (the worker could not
see it before), and `manage.py task_worker` waits for one between runs of django-tasks-db's own
loop, or for its interval at the most: a wake-up is only a hint, and one that is lost (a worker
restarting, a full socket buffer) delays a task by that interval, never more.

- PostgreSQL: `NOTIFY` on WAKEUP_CHANNEL; every worker `LISTEN`s on a connection of its own, so
  each one, on any machine, hears it.
- SQLite (one machine): a datagram to an abstract Unix socket (Linux; no file to clean up) named
  after the database file. One worker holds it; a second one finds it taken and just polls.
- Anything else, or where the socket cannot be had (another OS, a broken listening connection):
  polling every POLL_WITHOUT_WAKEUP seconds at the most, as `make run`'s worker did before.
"""

from __future__ import annotations

import hashlib
import logging
import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Protocol

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.dispatch import receiver
from django.tasks.signals import task_enqueued
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("agents.task_wakeup")

# The PostgreSQL channel the workers listen on; a notification carries nothing else.
WAKEUP_CHANNEL = "deepcall_task_queued"
# A worker that cannot be woken looks at the queue this often (or at its interval if shorter):
# a CAD job then starts within a tenth of a second, for under 2 % of a core while idle.
POLL_WITHOUT_WAKEUP = 0.1


class Wakeup(Protocol):
    def wait(self, timeout: float) -> None:
        """Return when woken, or after `timeout` seconds."""


class _Sleep:
    """No way to be woken: poll, as db_worker does."""

    def wait(self, timeout: float) -> None:
        select.select([], [], [], min(timeout, POLL_WITHOUT_WAKEUP))


class _Readable:
    """Woken when something arrives on a socket or a database connection (`fileno`)."""

    def __init__(self, source, drain):
        self._source = source
        self._drain = drain

    def wait(self, timeout: float) -> None:
        readable, _, _ = select.select([self._source], [], [], timeout)
        if readable:
            self._drain()  # several wake-ups at once make one look at the queue


class _PostgresListener:
    """`LISTEN` on a connection of its own, in autocommit (notifications arrive between
    transactions), from before the worker's first look at the queue. A connection that breaks
    (the database restarted) is opened again after the worker's interval; until then it polls."""

    def __init__(self, connection):
        self._database = connection.Database  # psycopg (3)
        self._params = connection.get_connection_params()
        self._listener = None
        self._listen_again_at = 0.0
        self._listen(retry_after=0.0)

    def _listen(self, *, retry_after: float) -> None:
        try:
            self._listener = self._database.connect(**self._params, autocommit=True)
            self._listener.execute(f"LISTEN {WAKEUP_CHANNEL}")
        except self._database.Error:
            logger.warning("No wake-up connection: polling for tasks until it is back")
            self._lost(retry_after)

    def _lost(self, retry_after: float) -> None:
        self.close()
        self._listen_again_at = time.monotonic() + retry_after

    def wait(self, timeout: float) -> None:
        if self._listener is None and time.monotonic() >= self._listen_again_at:
            self._listen(retry_after=timeout)
        if self._listener is None:
            _Sleep().wait(timeout)
            return
        try:
            readable, _, _ = select.select([self._listener.fileno()], [], [], timeout)
            if readable:
                for _ in self._listener.notifies(timeout=0):
                    pass  # several wake-ups at once make one look at the queue
        except self._database.Error:
            logger.warning("The wake-up connection broke: polling for tasks until it is back")
            self._lost(timeout)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def _socket_name(database_name: str) -> bytes:
    """The abstract socket of a SQLite database file ("\\0" first: no file on disk)."""
    path = str(Path(database_name).resolve())
    return b"\0deepcall-tasks-" + hashlib.sha256(path.encode()).hexdigest()[:40].encode()


def wake_workers(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Tell the workers of database `using` that a task is waiting."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {WAKEUP_CHANNEL}")
    elif connection.vendor == "sqlite":
        # No worker listening (or not Linux): the worker's next poll finds the task.
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender, suppress(OSError):
            sender.sendto(b"!", _socket_name(connection.settings_dict["NAME"]))


@receiver(task_enqueued)
def _wake_workers_on_commit(sender, task_result, **kwargs) -> None:
    if not issubclass(sender, DatabaseBackend):
        return
    using = router.db_for_write(DBTaskResult)
    # Robust: a wake-up that fails is logged, and the task is still queued for the next poll.
    transaction.on_commit(lambda: wake_workers(using=using), using=using, robust=True)


@contextmanager
def wakeup_listener(*, using: str | None = None) -> Iterator[Wakeup]:
    """What a worker waits on between looks at the queue (of database `using`; by default the
    one the task results are written to)."""
    connection = connections[using or router.db_for_write(DBTaskResult)]
    if connection.vendor == "postgresql":
        listener = _PostgresListener(connection)
        try:
            yield listener
        finally:
            listener.close()
        return
    if connection.vendor == "sqlite":
        receiver_socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            receiver_socket.bind(_socket_name(connection.settings_dict["NAME"]))
        except OSError:
            receiver_socket.close()
            logger.warning(
                "Another worker holds the wake-up socket of this database: this one polls "
                "for tasks every %s s.",
                POLL_WITHOUT_WAKEUP,
            )
        else:
            receiver_socket.setblocking(False)

            def drain() -> None:
                with suppress(BlockingIOError):
                    while receiver_socket.recv(64):
                        pass

            try:
                yield _Readable(receiver_socket, drain)
            finally:
                receiver_socket.close()
            return
    yield _Sleep()
