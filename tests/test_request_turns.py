"""A process works out one request at a time; sending an answer and waiting on another
service happen outside the turn (agents/request_turns.py).

The applications below are WSGI applications of their own that block on events, so each test
can hold a request at the point it is about: what a turn permits either happens or the test
times out waiting for it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from agents.request_turns import taking_turns, turn_given_up

# Long enough for what is allowed to happen, on a busy machine; reached only when it does not.
WAIT_S = 5


def start_response(status, headers):
    return lambda data: None


def call(application, path="/"):
    """One request through `application`, its body read whole."""
    return b"".join(application({"PATH_INFO": path}, start_response))


def two_requests_at_once(served) -> list[bytes]:
    """What two requests sent together through `served` answered."""
    with ThreadPoolExecutor(2) as pool:
        answers = [pool.submit(call, served) for _ in range(2)]
        return sorted(a.result(timeout=WAIT_S) for a in answers)


def meeting_application(*, give_turn_up_first: bool = False, wait_s: float = 0.5):
    """Answers "together" if another request reaches the same point while it waits there
    (`wait_s`), "alone" otherwise."""
    both_inside = threading.Barrier(2, timeout=wait_s)

    def application(environ, start_response):
        start_response("200 OK", [])
        if give_turn_up_first:
            with turn_given_up():
                pass
        try:
            both_inside.wait()
        except threading.BrokenBarrierError:
            return [b"alone"]
        return [b"together"]

    return application


def test_a_second_request_waits_while_the_first_is_worked_out():
    served = taking_turns(meeting_application(), at_once=1)
    assert two_requests_at_once(served) == [b"alone", b"alone"]


def test_two_turns_let_two_requests_be_worked_out_at_once():
    # Where meeting is expected, wait long enough that a slow machine cannot fake "alone".
    served = taking_turns(meeting_application(wait_s=WAIT_S), at_once=2)
    assert two_requests_at_once(served) == [b"together", b"together"]


def test_the_turn_is_taken_back_after_a_wait_on_another_service():
    served = taking_turns(meeting_application(give_turn_up_first=True), at_once=1)
    assert two_requests_at_once(served) == [b"alone", b"alone"]


def test_an_answer_read_slowly_does_not_hold_the_turn():
    slow_reader_done = threading.Event()

    def application(environ, start_response):
        start_response("200 OK", [])
        if environ["PATH_INFO"] == "/export.csv":
            return stream_until(slow_reader_done)
        return [b"page"]

    def stream_until(done):
        yield b"first rows"
        done.wait(WAIT_S)
        yield b"last rows"

    served = taking_turns(application, at_once=1)
    export = iter(served({"PATH_INFO": "/export.csv"}, start_response))
    assert next(export) == b"first rows"
    with ThreadPoolExecutor(1) as pool:
        page = pool.submit(call, served, "/agents/")
        assert page.result(timeout=WAIT_S) == b"page"
    slow_reader_done.set()
    assert list(export) == [b"last rows"]


def test_a_wait_on_another_service_lets_other_requests_through():
    provider_answers = threading.Event()
    waiting_on_provider = threading.Event()

    def application(environ, start_response):
        start_response("200 OK", [])
        if environ["PATH_INFO"] == "/sign-in/callback/":
            with turn_given_up():
                waiting_on_provider.set()
                provider_answers.wait(WAIT_S)
            return [b"signed in"]
        return [b"page"]

    served = taking_turns(application, at_once=1)
    with ThreadPoolExecutor(2) as pool:
        sign_in = pool.submit(call, served, "/sign-in/callback/")
        assert waiting_on_provider.wait(WAIT_S)
        page = pool.submit(call, served, "/agents/")
        assert page.result(timeout=WAIT_S) == b"page"
        assert not sign_in.done()
        provider_answers.set()
        assert sign_in.result(timeout=WAIT_S) == b"signed in"


def test_the_turn_is_given_back_when_a_request_fails():
    def application(environ, start_response):
        if environ["PATH_INFO"] == "/error/":
            raise RuntimeError("the view failed")
        start_response("200 OK", [])
        return [b"page"]

    served = taking_turns(application, at_once=1)
    with pytest.raises(RuntimeError):
        call(served, "/error/")
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(call, served).result(timeout=WAIT_S) == b"page"
