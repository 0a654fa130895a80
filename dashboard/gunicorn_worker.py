"""The web processes' gunicorn worker: threads, but a new connection only while a turn is free.

gunicorn's threaded worker (`gthread`) accepts every connection it can and queues it for a
thread. Its threads are what lets a slow reader hold one thread rather than a process (issue
31), but the queue let one process hold a line of waiting requests while the other process
had none, both listening on the same socket: under load the p95 went up by half (README,
Performance). This worker leaves a connection to the listening socket unless one of its turns
(agents/request_turns.py) is free for it, as a single-threaded process does, so the process
that can start on it takes it. Answers are still sent outside the turns, however slowly they
are read.
"""

from __future__ import annotations

import threading

from gunicorn.workers.gthread import ThreadWorker


class TurnTakingWorker(ThreadWorker):
    def load_wsgi(self) -> None:
        super().load_wsgi()
        turn_taking_application = self.wsgi
        self.turns = turn_taking_application.turns
        self.turns.when_one_frees = self._wake_main_loop
        # Connections handed to a thread whose request has not yet asked for a turn.
        self.connections_waiting = 0
        self._waiting_lock = threading.Lock()
        self._this_thread = threading.local()

        def application(environ, start_response):
            self._this_thread.reached_application = True
            self._count_waiting(-1)
            return turn_taking_application(environ, start_response)

        self.wsgi = application

    def _wake_main_loop(self) -> None:
        # The main loop re-enables accepting when it next runs; a no-op callback wakes it.
        self.method_queue.defer(lambda: None)

    def _count_waiting(self, change: int) -> None:
        with self._waiting_lock:
            self.connections_waiting += change

    def _a_turn_is_within_reach(self) -> bool:
        return self.connections_waiting < self.turns.free

    def enqueue_req(self, conn) -> None:
        self._count_waiting(1)
        super().enqueue_req(conn)

    def handle(self, conn):
        self._this_thread.reached_application = False
        try:
            return super().handle(conn)
        finally:
            # A request that never reached the application (no data yet, a malformed one).
            if not self._this_thread.reached_application:
                self._count_waiting(-1)
                self._wake_main_loop()

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self._a_turn_is_within_reach())

    def accept(self, listener) -> None:
        if self._a_turn_is_within_reach():
            super().accept(listener)
        if not self._a_turn_is_within_reach():
            super().set_accept_enabled(False)
