"""`manage.py task_worker` outlives its database's outages: an error that escapes db_worker's
loop (the connection closed under it) is logged once, and the worker carries on and queues
every unfinished CAD job again once the database answers."""

import logging

import pytest
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker

from agents.management.commands import task_worker as command
from agents.management.commands.task_worker import WakeableWorker


class NoWait:
    def wait(self, timeout: float) -> None:
        pass


@pytest.mark.django_db
def test_a_database_error_does_not_end_the_worker(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="agents.task_worker")
    loops = []

    def loop_failing_twice(self):
        loops.append(1)
        if len(loops) <= 2:
            raise OperationalError("the connection is closed")
        self.running = False  # the third loop: stopped, as by SIGTERM

    resumed = []
    monkeypatch.setattr(db_worker.Worker, "run", loop_failing_twice)
    monkeypatch.setattr(command.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(command, "cad_jobs_resume", lambda: resumed.append(1) or [])
    worker = WakeableWorker(
        wakeup=NoWait(),
        poll_interval=0.01,
        queue_names=["*"],
        excluded_queue_names=[],
        backend_name="default",
        worker_id="w1",
    )
    worker.run()  # returns: never raises

    assert len(loops) == 3
    assert resumed == [1]  # once the database answered again
    messages = [r.getMessage() for r in caplog.records if r.name == "agents.task_worker"]
    assert len([m for m in messages if "does not answer" in m]) == 1  # one warning an outage
    assert any("answers again" in m for m in messages)
