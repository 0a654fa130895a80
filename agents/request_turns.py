"""A process works out a request's answer only in its turn; its other threads wait for one.

gunicorn gives each process several threads (gunicorn.conf.py) so that a client reading an
answer slowly, a CSV export on a bad line, holds one thread rather than the whole process. But
working out an answer is CPU work under Python's GIL: eight requests worked out at once each
cost more CPU than one or two at a time, and under load the site served fewer pages a second
(README, Performance). So a request takes one of its process's turns (`WEB_REQUESTS_AT_ONCE`)
while Django works out the answer and gives it back before the answer is sent: sending it,
however slowly it is read, and the rows of a streamed export are produced outside the turn. A
wait on another service (the identity provider, DeepCall) gives the turn up meanwhile:
`turn_given_up()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

_held = threading.local()


def taking_turns(application: Callable, at_once: int) -> Callable:
    """`application` (WSGI) with at most `at_once` of its calls running at a time."""
    turns = threading.BoundedSemaphore(at_once)

    def application_taking_turns(environ: dict, start_response: Callable) -> Iterable[bytes]:
        with turns:
            _held.turns = turns
            try:
                return application(environ, start_response)
            finally:
                _held.turns = None

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
    turns.release()
    try:
        yield
    finally:
        turns.acquire()
        _held.turns = turns
