"""The web processes' gunicorn worker takes a connection only while one of its turns is free
(dashboard/gunicorn_worker.py): a request goes to the process that can start on it, while a
slow reader or a wait on another service does not stop a process from taking the next one.

gunicorn runs with gunicorn.conf.py, as the Procfile starts it, serving
tests/fixtures/turn_taking_app.py (one request worked out at a time a process).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
# Long enough for an answer on a busy machine; reached only when a request is left waiting.
ANSWER_WAIT_S = 10


class Served:
    def __init__(self, tmp_path: Path, processes: int):
        self.holding = tmp_path / "holding"
        self.release = tmp_path / "release"
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = tmp_path / "gunicorn.log"
        env = {
            **os.environ,
            "WEB_CONCURRENCY": str(processes),
            "HOLDING_FILE": str(self.holding),
            "RELEASE_FILE": str(self.release),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                self.base.removeprefix("http://"),
                "tests.fixtures.turn_taking_app:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_for_processes(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.log.read_text().count("Booting worker") < count:
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.05)
        self.pid()  # answered: the application is loaded

    def pid(self) -> int:
        return int(httpx.get(f"{self.base}/pid", timeout=ANSWER_WAIT_S).text)

    def start_holding(self, path: str) -> int:
        """Sends `path` (it answers once released); the id of the process holding it."""
        thread = threading.Thread(
            target=httpx.get, args=(f"{self.base}{path}",), kwargs={"timeout": 60}, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + ANSWER_WAIT_S
        while not self.holding.exists():
            assert time.monotonic() < deadline, "the held request never reached the application"
            time.sleep(0.01)
        return int(self.holding.read_text())

    def stop(self) -> None:
        self.release.touch()
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def served(tmp_path):
    started = []

    def serve(processes: int) -> Served:
        started.append(Served(tmp_path, processes))  # stopped even if it never comes up
        started[-1].wait_for_processes(processes)
        return started[-1]

    yield serve
    for one in started:
        one.stop()


def test_while_a_process_works_out_a_request_the_other_takes_the_next_ones(served):
    two = served(processes=2)
    busy = two.start_holding("/hold")

    answered_by = {two.pid() for _ in range(20)}

    assert busy not in answered_by
    assert len(answered_by) == 1


def test_a_process_takes_the_next_request_while_one_waits_on_another_service(served):
    one = served(processes=1)
    waiting = one.start_holding("/elsewhere")

    assert one.pid() == waiting


def test_a_process_takes_the_next_request_while_a_client_is_slow_to_read(served):
    one = served(processes=1)
    worker = one.pid()
    host, port = one.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as never_reads:
        never_reads.sendall(f"GET /large HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        never_reads.recv(1)  # the answer has started: its thread is sending it

        assert one.pid() == worker
