"""Which task workers are alive, from the heartbeat each one records, and how one stops.

Every `manage.py task_worker` records a heartbeat (`TaskWorker.last_seen_at`) every
HEARTBEAT_EVERY_S from a thread of its own, so a long CAD batch does not hide it. A worker not
heard from for WORKER_DEAD_AFTER is taken to be dead (killed, out of memory, its host lost):
what it held is taken over by the others (`cad_jobs.cad_batches_take_over`), and pages say that
no worker is running while none is alive.

A worker told to stop (SIGTERM, a deploy) takes no more work; `worker_stop_requested()` is how
the use-cases it runs find out.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from agents.models import CadJob, TaskWorker
from agents.services.team_scopes import cad_jobs_in_scope

# Often enough that a dead worker is noticed within seconds, rarely enough to cost nothing:
# one UPDATE of one row every 2 s per worker.
HEARTBEAT_EVERY_S = 2.0
# Four heartbeats missed: a worker whose database writes stall for a moment is not taken for
# dead, and a killed one's batches are sent by another worker well within 15 s.
WORKER_DEAD_AFTER = timedelta(seconds=8)
# Stopped workers' rows are kept this long (the status page's "last worker seen"), then deleted.
STOPPED_WORKER_KEPT = timedelta(days=7)

_current_worker_id = ""
_stop_requested = threading.Event()


def current_worker_id() -> str:
    """This process's worker id while it runs as `task_worker`, else "" (a web request, a test,
    a plain `db_worker`): claims made with "" are left to the lease alone."""
    return _current_worker_id


def worker_stop_requested() -> bool:
    """True once this worker has been told to stop: take no new work."""
    return _stop_requested.is_set()


def worker_request_stop() -> None:
    _stop_requested.set()


def task_worker_forget() -> None:
    """This process is a plain one again, not a task worker: no worker id, no stop requested.
    Tests start here: a heartbeat recorded by an earlier test would otherwise name this
    process's CAD claims after a worker whose row is gone, and a stop asked for by one would
    keep the next from taking work."""
    global _current_worker_id
    _current_worker_id = ""
    _stop_requested.clear()


def task_worker_beat(*, worker_id: str) -> None:
    """Record that this worker is alive (the first beat registers it)."""
    global _current_worker_id
    _current_worker_id = worker_id
    now = timezone.now()
    updated = TaskWorker.objects.filter(worker_id=worker_id).update(last_seen_at=now)
    if not updated:
        TaskWorker.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "last_seen_at": now,
                "stopped_at": None,
            },
        )


def task_worker_stopped(*, worker_id: str) -> None:
    """Record that this worker stopped on purpose: not alive from now on."""
    TaskWorker.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())
    TaskWorker.objects.filter(stopped_at__lt=timezone.now() - STOPPED_WORKER_KEPT).delete()


def task_workers_alive() -> QuerySet[TaskWorker]:
    """The workers heard from within WORKER_DEAD_AFTER that have not stopped."""
    return TaskWorker.objects.filter(
        last_seen_at__gte=timezone.now() - WORKER_DEAD_AFTER, stopped_at__isnull=True
    )


def task_worker_last_seen() -> TaskWorker | None:
    """The worker heard from last, alive or not (None if no worker ever ran)."""
    return TaskWorker.objects.order_by("-last_seen_at").first()


def task_workers_status() -> dict:
    """For the status page: workers alive, the last one heard from, and the CAD jobs waiting
    (those of the team scope in force)."""
    waiting = CadJob.objects.filter(status__in=(CadJob.Status.QUEUED, CadJob.Status.RUNNING))
    return {
        "workers_alive": task_workers_alive().count(),
        "last_worker": task_worker_last_seen(),
        "cad_jobs_waiting": cad_jobs_in_scope(waiting).count(),
    }
