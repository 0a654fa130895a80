"""The faults of a real deployment, done to the production processes (gunicorn and the worker
as the Procfile starts them, PostgreSQL, a redis-server of the suite's own): what users see.

Runs on the scale-out pass (`make test-scaleout`, or alone: `make test-faults`); the SQLite
pass deselects it (tests/conftest.py), as it needs PostgreSQL.
"""

from datetime import datetime, timedelta

import pytest

from tests.fixtures.deployment import CAD_BATCH_SIZE, wait_until

pytestmark = pytest.mark.faults

PAGES = ["/", "/agents/", "/agents/?status=active", "/schedules/", "/cad/", "/status/"]
NO_WORKER = "No worker is running: the job starts when one does"


def every_page_answers(admin) -> None:
    for url in PAGES:
        response = admin.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"


def test_with_redis_stopped_and_restarted_empty_users_keep_working(healthy, admin):
    deployment = healthy
    every_page_answers(admin)
    deployment.redis.stop()

    every_page_answers(admin)  # still logged in: no redirect to the login page
    job = admin.start_job(deployment.agent_ids(60))
    finished = admin.wait_for_job(job)
    assert (finished.status, finished.succeeded) == ("Succeeded", 60)

    deployment.redis.start()  # back, and empty
    every_page_answers(admin)
    # Within a few seconds the processes try Redis again and share their caches through it.
    wait_until(
        lambda: admin.get("/agents/").status_code == 200 and deployment.redis.client().dbsize(),
        what="caching through Redis again",
        every=0.5,
    )
    log = deployment.log_text()
    # One warning per process for the outage, not one per request.
    assert 1 <= log.count("does not answer (ConnectionError)") <= 3


def test_a_killed_worker_s_batches_are_taken_over_and_the_job_finishes(healthy, admin):
    deployment = healthy
    ids = deployment.agent_ids(200, offset=60)
    job = admin.start_job(ids)
    wait_until(lambda: admin.progress(job).done >= 2 * CAD_BATCH_SIZE, what="the job under way")
    deployment.kill_worker()
    killed_at = datetime.now().astimezone()
    held = deployment.batches_claimed(job)
    assert held > 0, "the worker held no batch when killed"

    deployment.start_worker()  # the restarted worker, as a process manager would
    finished = admin.wait_for_job(job)

    assert finished.status == "Succeeded"
    assert finished.done == finished.succeeded == finished.total
    # No agent recorded twice, none lost.
    assert deployment.results_of(job) == (finished.total, finished.total)
    finished_at = deployment.query(
        "SELECT finished_at FROM agents_cadjob WHERE public_id = %s", [job]
    )[0][0]
    # Taken over from the heartbeat, not after the 5-minute lease.
    assert finished_at < killed_at + timedelta(minutes=5)


def test_sigterm_stops_the_worker_cleanly_and_the_job_carries_on(healthy, admin):
    deployment = healthy
    ids = deployment.agent_ids(120, offset=260)
    job = admin.start_job(ids, action="enable")
    wait_until(lambda: admin.progress(job).done >= CAD_BATCH_SIZE, what="the job under way")

    assert deployment.terminate_worker() == 0
    held = deployment.batches_claimed(job)
    assert held == 0  # finished or given back: nothing left for a lease

    deployment.start_worker()
    finished = admin.wait_for_job(job)
    assert finished.status == "Succeeded"
    assert finished.done == finished.succeeded == finished.total
    assert deployment.results_of(job) == (finished.total, finished.total)


def test_after_every_database_connection_is_cut_users_and_the_worker_carry_on(healthy, admin):
    deployment = healthy
    running = admin.start_job(deployment.agent_ids(200, offset=60), action="disable")
    wait_until(lambda: admin.progress(running).done >= CAD_BATCH_SIZE, what="the job under way")

    assert deployment.cut_database_connections() > 0
    every_page_answers(admin)  # at once: no request was in flight

    finished = admin.wait_for_job(running)
    assert finished.status == "Succeeded"
    assert finished.succeeded == finished.total
    assert deployment.worker.poll() is None  # the worker never exited
    queued_after = admin.start_job(deployment.agent_ids(40, offset=260), action="disable")
    assert admin.wait_for_job(queued_after).status == "Succeeded"


def test_a_stalling_deepcall_ends_the_job_and_retry_failed_completes_it(healthy, admin):
    deployment = healthy
    ids = deployment.agent_ids(100, offset=300)
    deployment.deepcall_faults(hang_rate=1.0, hang_seconds=30)  # far past the read timeout

    job = admin.start_job(ids, action="disable")
    stalled = admin.wait_for_job(job)
    assert stalled.status == "Failed"
    assert "DeepCall did not answer in time" in stalled.page
    # Every agent accounted for (pending deletions are not selectable, hence total).
    assert deployment.results_of(job) == (stalled.total, stalled.total)

    deployment.deepcall_faults()  # DeepCall answers again
    retry = admin.retry_failed(job)
    retried = admin.wait_for_job(retry)
    assert (retried.status, retried.succeeded) == ("Succeeded", stalled.total)


def test_a_job_queued_with_no_worker_says_so_and_starts_when_one_does(healthy, admin):
    deployment = healthy
    assert deployment.terminate_worker() == 0
    assert admin.get("/readyz/").status_code == 503

    job = admin.start_job(deployment.agent_ids(40, offset=200), action="disable")
    waiting = admin.progress(job)
    assert waiting.status == "Queued"
    assert NO_WORKER in waiting.page
    assert "No worker is running" in admin.get("/status/").text

    deployment.start_worker()
    assert admin.wait_for_job(job).status == "Succeeded"
    assert admin.get("/readyz/").status_code == 200
    assert "Running (1 worker)" in admin.get("/status/").text
