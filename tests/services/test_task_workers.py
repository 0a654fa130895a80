"""Workers' heartbeats: who is alive, a dead worker's batches taken over, a stopping worker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import CadBatch, CadJob, CadResult, TaskWorker
from agents.services import cad_jobs as cad_service
from agents.services import task_workers
from tests.services.test_cad_jobs import QUEUED, some_ids, start, synced  # noqa: F401


def beat(worker_id: str, *, seconds_ago: float = 0) -> None:
    task_workers.task_worker_beat(worker_id=worker_id)
    TaskWorker.objects.filter(worker_id=worker_id).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.mark.django_db
def test_a_worker_is_alive_while_its_heartbeat_is_recent_and_it_has_not_stopped():
    beat("fresh")
    beat("silent", seconds_ago=task_workers.WORKER_DEAD_AFTER.total_seconds() + 1)
    beat("stopped")
    task_workers.task_worker_stopped(worker_id="stopped")
    assert list(task_workers.task_workers_alive().values_list("worker_id", flat=True)) == ["fresh"]
    assert task_workers.task_worker_last_seen().worker_id in {"fresh", "stopped"}


@pytest.mark.django_db(transaction=True)
def test_the_batches_of_a_worker_whose_heartbeat_stopped_are_taken_over(
    synced,  # noqa: F811
    admin_user,
    settings,
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = QUEUED
    job = start(admin_user, some_ids(30))
    beat("killed")
    beat("alive")
    # Each worker holds a batch well within the lease.
    CadBatch.objects.filter(job=job, number=1).update(
        state=CadBatch.State.RUNNING, claimed_at=timezone.now(), claimed_by="killed", attempts=1
    )
    CadBatch.objects.filter(job=job, number=2).update(
        state=CadBatch.State.RUNNING, claimed_at=timezone.now(), claimed_by="alive", attempts=1
    )
    assert cad_service.cad_batches_take_over() == []  # both heartbeats are recent

    beat("killed", seconds_ago=task_workers.WORKER_DEAD_AFTER.total_seconds() + 1)
    beat("alive")
    queued_before = DBTaskResult.objects.count()
    assert cad_service.cad_batches_take_over() == [job.pk]
    assert DBTaskResult.objects.count() == queued_before + 1  # the job runs again at once
    assert CadBatch.objects.get(job=job, number=1).state == CadBatch.State.PENDING
    assert CadBatch.objects.get(job=job, number=2).claimed_by == "alive"
    assert cad_service.cad_batches_take_over() == []  # taken over once

    # The run sends batches 1 and 3 and leaves batch 2 to the live worker that holds it.
    job = cad_service.cad_job_run(job_id=job.pk)
    assert (job.status, job.done, synced.calls["setCad"]) == (CadJob.Status.RUNNING, 20, 2)


@pytest.mark.django_db(transaction=True)
def test_a_stopping_worker_takes_no_more_batches_and_the_job_is_queued_for_another(
    synced,  # noqa: F811
    admin_user,
    settings,
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = QUEUED
    job = start(admin_user, some_ids(30))
    task_workers.worker_request_stop()
    queued_before = DBTaskResult.objects.count()
    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.RUNNING
    assert synced.calls.get("setCad", 0) == 0
    assert DBTaskResult.objects.count() == queued_before + 1

    task_workers.task_worker_forget()  # another worker runs it
    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.SUCCEEDED
    assert CadResult.objects.filter(job=job).count() == 30
