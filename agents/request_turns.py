"""A process works out a request's answer only in its turn; its other threads wait for one.

gunicorn gives each process several threads (gunicorn.conf.py) so that a client reading an
answer slowly, a CSV export on a bad line, holds one thread rather than the whole process. But
working out an answer is CPU work under Python's GIL: eight requests worked out at once each
cost more CPU than one or two at a time, and under load the site served fewer pages a second
(README, Performance). So a request takes one of its process's turns (`WEB_REQUESTS_AT_ONCE`)
while Django works out the answer and gives it back before the answer is sent: sending it,
however slowly it is read, and the rows of a streamed export are produced outside the turn. A
wait on another service (the identity provider, DeepCall) gives the turn up meanwhile:
`turn_given_up()`. The web processes' gunicorn worker (dashboard/gunicorn_worker.py) takes a
new connection only while one of its turns is free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

_held = threading.local()


class Turns:
    """At most `at_once` holders at a time; `free` of them are not held. `when_one_frees` is
    called after each release, for a server that waits for a free turn to take a connection."""

    def __init__(self, at_once: int) -> None:
        self._semaphore = threading.BoundedSemaphore(at_once)
        self._count_lock = threading.Lock()
        self.free = at_once
        self.when_one_frees: Callable[[], None] = lambda: None

    def take(self) -> None:
        self._semaphore.acquire()
        with self._count_lock:
            self.free -= 1

    def give_back(self) -> None:
        with self._count_lock:
            self.free += 1
        self._semaphore.release()
        self.when_one_frees()


def taking_turns(application: Callable, at_once: int) -> Callable:
    """`application` (WSGI) with at most `at_once` of its calls running at a time; its
    `turns` attribute is the `Turns` they take."""
    turns = Turns(at_once)

    def application_taking_turns(environ: dict, start_response: Callable) -> Iterable[bytes]:
        turns.take()
        _held.turns = turns
        try:
            return application(environ, start_response)
        finally:
            _held.turns = None
            turns.give_back()

    application_taking_turns.turns = turns
    return application_taking_turns


@contextmanager
def turn_given_up() -> Iterator[None]:
    """Around a wait on another service: the process's other requests go on meanwhile. Outside
    a turn (a test's client, a management command) it does nothing."""
    turns = getattr(_held, "turns", None)
    if turns is None:
        yield
        return
    _held.turns = None
    turns.give_back()
    try:
        yield
    finally:
        turns.take()
        _held.turns = turns
