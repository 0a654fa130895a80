"""Fixtures shared by the service tests that sync from the sandbox."""

import threading
from collections.abc import Callable

import pytest
import stamina
from django.db import connection

from agents.upstream import reset_deepcall_client


@pytest.fixture
def deepcall(sandbox_settings):
    """The test sandbox, with a DeepCall client built afresh for it."""
    reset_deepcall_client()
    yield sandbox_settings
    reset_deepcall_client()


@pytest.fixture
def no_retry_waits():
    stamina.set_testing(True, attempts=1)
    yield
    stamina.set_testing(False)


def run_at_once[T](work: Callable[[], T], times: int = 2) -> tuple[list[T], list[Exception]]:
    """Run `work` in `times` threads released together; their results and their errors."""
    barrier = threading.Barrier(times)
    results: list[T] = []
    errors: list[Exception] = []

    def in_thread():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - returned for the test to assert on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=in_thread) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
