"""Nobody waits on a job that cannot run: the job page, the status page and /readyz/ say
whether a task worker is alive, from the workers' heartbeats."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import TaskWorker
from agents.services import cad_jobs as cad_service
from agents.services.task_workers import WORKER_DEAD_AFTER, task_worker_beat
from tests.fixtures.agents import create_agents

NO_WORKER = "No worker is running: the job starts when one does"


@pytest.fixture
def queued_job(db, settings, admin_user):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    create_agents(range(1, 6))
    job, _ = cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=["1", "2"],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    return job


def test_a_queued_job_says_no_worker_is_running_until_one_beats(admin_client, queued_job):
    page = admin_client.get(f"/cad/{queued_job.public_id}/").content.decode()
    assert NO_WORKER in page
    progress = admin_client.get(
        f"/cad/{queued_job.public_id}/?progress=1&running=1", headers={"HX-Request": "true"}
    ).content.decode()
    assert NO_WORKER in progress

    task_worker_beat(worker_id="w1")
    assert NO_WORKER not in admin_client.get(f"/cad/{queued_job.public_id}/").content.decode()


def test_a_worker_silent_past_its_heartbeat_counts_as_gone(admin_client, queued_job):
    task_worker_beat(worker_id="w1")
    TaskWorker.objects.update(last_seen_at=timezone.now() - WORKER_DEAD_AFTER - timedelta(1))
    assert NO_WORKER in admin_client.get(f"/cad/{queued_job.public_id}/").content.decode()


def test_the_status_page_says_whether_a_worker_runs(admin_client, queued_job, sandbox_settings):
    page = admin_client.get("/status/").content.decode()
    assert "No worker is running: the 1 CAD job waiting starts when one does" in page

    task_worker_beat(worker_id="w1")
    page = admin_client.get("/status/").content.decode()
    assert "Running (1 worker)" in page
    assert "No worker is running" not in page


def test_readyz_is_ready_with_the_database_and_a_live_worker(client, db):
    not_ready = client.get("/readyz/")
    assert not_ready.status_code == 503
    assert not_ready.json() == {
        "status": "not ready",
        "database": "ok",
        "cache": "ok",
        "workers": 0,
    }
    task_worker_beat(worker_id="w1")
    ready = client.get("/readyz/")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    # The liveness check is unchanged: it does not care about workers.
    assert client.get("/healthz/").json() == {"status": "ok", "database": True}
