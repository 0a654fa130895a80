"""`manage.py task_worker`: django-tasks-db's `db_worker`, woken the moment a task is queued.

Same options as `db_worker`; `--interval` becomes the safety net (how long the worker waits for
a wake-up before it looks at the queue anyway), so it can be long without a queued task waiting
for it. See `agents.task_wakeup` for how a worker is woken.
"""

from __future__ import annotations

import logging

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from agents.task_wakeup import Wakeup, wakeup_listener

logger = logging.getLogger("django_tasks_db")

# Between tries while SQLite is locked by a writer: db_worker's own loop sleeps this long.
LOCKED_RETRY_SECONDS = 0.05


class WakeableWorker(db_worker.Worker):
    """db_worker's loop in batch mode (run every ready task, then return), then a wait for a
    wake-up or `poll_interval`, again and again until stopped."""

    def __init__(self, *, wakeup: Wakeup, poll_interval: float, **options):
        super().__init__(
            batch=True,
            interval=LOCKED_RETRY_SECONDS,
            startup_delay=False,
            max_tasks=None,
            **options,
        )
        self.wakeup = wakeup
        self.poll_interval = poll_interval

    def run(self) -> None:
        while self.running:
            super().run()
            if self.running:
                self.wakeup.wait(self.poll_interval)


class Command(db_worker.Command):
    help = (
        "Run a database background worker that is woken the moment a task is queued; "
        "--interval is how long it waits for a wake-up before looking anyway."
    )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        interval: float,
        batch: bool,
        max_tasks: int | None,
        backend_name: str,
        worker_id: str,
        **options,
    ) -> None:
        if batch or max_tasks is not None:
            raise CommandError(
                "task_worker runs until stopped: use db_worker for --batch or --max-tasks."
            )
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        self.configure_logging(verbosity)
        logger.info(
            "Starting worker worker_id=%s queues=%s, woken when a task is queued, looking "
            "every %s s otherwise",
            worker_id,
            ",".join(queue_names),
            interval,
        )
        # db_worker's loop says when it starts and when it finds the queue empty: here, on
        # every wake-up, which is noise.
        logger.setLevel(max(logger.level, logging.WARNING))
        with wakeup_listener() as wakeup:
            worker = WakeableWorker(
                wakeup=wakeup,
                poll_interval=interval,
                queue_names=queue_names,
                excluded_queue_names=excluded,
                backend_name=backend_name,
                worker_id=worker_id,
            )
            worker.configure_signals()
            worker.run()
