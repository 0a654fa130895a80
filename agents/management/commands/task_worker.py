"""`manage.py task_worker`: django-tasks-db's `db_worker`, woken the moment a task is queued,
that outlives its database's outages and tells the others it is alive.

Same options as `db_worker`; `--interval` becomes the safety net (how long the worker waits for
a wake-up before it looks at the queue anyway), so it can be long without a queued task waiting
for it. See `agents.task_wakeup` for how a worker is woken. Beyond `db_worker`:

- a heartbeat thread records the worker alive every few seconds and takes over the CAD batches
  of workers whose heartbeat stopped (`agents.services.task_workers`);
- a database error (a failover, a restart, a dropped connection) never ends the worker: it
  logs one warning, reconnects, queues again every unfinished CAD job and carries on;
- unfinished CAD jobs are queued again when it starts (what `manage.py cad_resume` does);
- SIGTERM (a deploy): no new task or batch is taken, the batches in flight end or are given
  back within `cad_jobs.STOP_GRACE_S`, and the process exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time

from django.core.management.base import CommandError
from django.db import Error as DatabaseError
from django.db import connections
from django_tasks_db.management.commands import db_worker

from agents.services.cad_jobs import cad_batches_take_over, cad_jobs_resume
from agents.services.task_workers import (
    HEARTBEAT_EVERY_S,
    WORKER_DEAD_AFTER,
    task_worker_beat,
    task_worker_stopped,
    worker_request_stop,
)
from agents.task_wakeup import Wakeup, wakeup_listener

logger = logging.getLogger("django_tasks_db")
agents_logger = logging.getLogger("agents.task_worker")

# Between tries while SQLite is locked by a writer: db_worker's own loop sleeps this long.
LOCKED_RETRY_SECONDS = 0.05
# While the database does not answer, the worker tries again this often: a failover takes
# seconds, and a job queued meanwhile should start as soon as it is over.
DATABASE_RETRY_SECONDS = 1.0


class _DatabaseOutage:
    """One warning when the database goes away, one line when it is back (per thread)."""

    def __init__(self, what: str):
        self.what = what
        self.since: float | None = None

    def lost(self, error: DatabaseError) -> None:
        connections.close_all()  # this thread's: the next query opens new ones
        if self.since is None:
            self.since = time.monotonic()
            agents_logger.warning(
                "%s: the database does not answer (%s: %s); trying again every %s s",
                self.what,
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                DATABASE_RETRY_SECONDS,
            )

    def answered(self) -> bool:
        """True if this ends an outage."""
        if self.since is None:
            return False
        agents_logger.warning(
            "%s: the database answers again after %.0f s",
            self.what,
            time.monotonic() - self.since,
        )
        self.since = None
        return True


class Heartbeat(threading.Thread):
    """Records the worker alive every HEARTBEAT_EVERY_S and takes over dead workers' batches."""

    def __init__(self, worker_id: str):
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.finished = threading.Event()
        self.outage = _DatabaseOutage("Heartbeat")
        self.take_over_after = 0.0

    def beat(self) -> None:
        try:
            task_worker_beat(worker_id=self.worker_id)
            if time.monotonic() >= self.take_over_after:
                cad_batches_take_over()
        except DatabaseError as error:
            self.outage.lost(error)
        except Exception:
            # A bug must not end the heartbeat silently: the others would take this worker
            # for dead and send its batches while it still sends them.
            agents_logger.exception("Heartbeat failed; trying again")
        else:
            if self.outage.answered():
                # Every worker's heartbeat stopped with the database: give the others the time
                # to beat again before taking their batches for a dead worker's.
                self.take_over_after = time.monotonic() + WORKER_DEAD_AFTER.total_seconds()

    def run(self) -> None:
        try:
            while not self.finished.wait(HEARTBEAT_EVERY_S):
                self.beat()
        finally:
            connections.close_all()


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
        self.outage = _DatabaseOutage("Worker")

    def run(self) -> None:
        while self.running:
            try:
                super().run()
            except DatabaseError as error:
                self.outage.lost(error)
                if self.running:
                    time.sleep(DATABASE_RETRY_SECONDS)
                continue
            if self.outage.since is not None:
                self._after_outage()
            if self.running:
                self.wakeup.wait(self.poll_interval)

    def _after_outage(self) -> None:
        # A job whose run broke off with the connection (its task marked neither done nor
        # failed) has nobody to run it: queue every unfinished one again (runs are repeatable).
        try:
            resumed = cad_jobs_resume()
        except DatabaseError as error:
            self.outage.lost(error)
            return
        self.outage.answered()
        if resumed:
            agents_logger.warning("Queued %d unfinished CAD jobs again", len(resumed))

    def shutdown(self, signum, frame) -> None:
        # Before db_worker's handler, which exits at once if no task runs: the running task
        # (a CAD job) sees this and takes no more batches.
        worker_request_stop()
        super().shutdown(signum, frame)


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
        heartbeat = Heartbeat(worker_id)
        heartbeat.beat()  # registered before the first claim names it
        heartbeat.start()
        # What a stopped worker left unfinished (as `manage.py cad_resume`, without a second
        # Django start-up before this one): should the database be away, the outage handling
        # in the loop queues them once it answers.
        with contextlib.suppress(DatabaseError):
            if resumed := cad_jobs_resume():
                agents_logger.warning("Queued %d unfinished CAD jobs again", len(resumed))
        try:
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
        finally:
            heartbeat.finished.set()
            # Should the database be away, the worker is not alive all the same: no heartbeat.
            with contextlib.suppress(DatabaseError):
                task_worker_stopped(worker_id=worker_id)
        if any(t.name.startswith("cad") and t.is_alive() for t in threading.enumerate()):
            # Calls to DeepCall still in flight after the grace: their batches were given back,
            # and the interpreter would wait for their read timeout before exiting.
            logging.shutdown()
            sys.stdout.flush()
            os._exit(0)
