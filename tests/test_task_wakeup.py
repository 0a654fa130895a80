"""`manage.py task_worker` is woken the moment a task is queued, on SQLite and on PostgreSQL:
a worker that would next look at the queue in an hour runs a task queued while it waits."""

import threading
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.tasks import task

from agents.management.commands.task_worker import WakeableWorker
from agents.task_wakeup import wake_workers, wakeup_listener
from tests.fixtures.workers import worker_in_thread

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
AN_HOUR = 3600.0
ran = threading.Event()


@task
def probe() -> str:
    ran.set()
    return "ran"


class WatchedWakeup:
    """The worker's wake-up, telling the test when the worker has started waiting on it."""

    def __init__(self, wakeup):
        self.wakeup = wakeup
        self.waiting = threading.Event()

    def wait(self, timeout: float) -> None:
        self.waiting.set()
        self.wakeup.wait(timeout)


@contextmanager
def waiting_worker():
    """A task_worker in a thread, past its first look at the queue and waiting for an hour."""
    with wakeup_listener() as wakeup, worker_thread(wakeup):
        yield


@contextmanager
def worker_thread(wakeup):
    """A task_worker in a thread, past its first look at the queue and waiting on `wakeup`
    for an hour at the most."""
    watched = WatchedWakeup(wakeup)
    worker = WakeableWorker(
        wakeup=watched,
        poll_interval=AN_HOUR,
        queue_names=["*"],
        excluded_queue_names=[],
        backend_name="default",
        worker_id="wakeup-test-worker",
    )

    with worker_in_thread(worker, on_stop=wake_workers) as thread:  # woken to see it must stop
        assert watched.waiting.wait(timeout=30), "the worker never got to waiting"
        yield
    assert not thread.is_alive()


def test_a_task_queued_while_the_worker_waits_runs_without_waiting_for_its_interval(settings):
    settings.TASKS = DATABASE_QUEUE
    ran.clear()
    with waiting_worker():
        result = probe.enqueue()
        # Without the wake-up the worker would look again in an hour, long after this gives up.
        assert ran.wait(timeout=30)
    result.refresh()
    assert result.return_value == "ran"


def test_a_second_worker_on_the_same_database_still_starts_a_task_at_once(settings):
    # On SQLite the first worker holds the database's wake-up socket: the second one cannot be
    # woken and polls (every POLL_WITHOUT_WAKEUP seconds, not its hour); on PostgreSQL both
    # listen. Either way the task does not wait for the interval.
    settings.TASKS = DATABASE_QUEUE
    ran.clear()
    with wakeup_listener(), wakeup_listener() as second, worker_thread(second):
        probe.enqueue()
        assert ran.wait(timeout=30)


def test_task_worker_refuses_batch_mode_and_points_to_db_worker():
    with pytest.raises(CommandError, match="use db_worker for --batch"):
        call_command("task_worker", batch=True, verbosity=0)
