"""Bulk CAD jobs against the sandbox over real HTTP: batching, partial failures, durability."""

import threading

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from agents.models import Agent, CadBatch, CadJob, CadResult
from agents.selection import Selection
from agents.services import agent_sync
from agents.services import cad_jobs as cad_service
from tests.fixtures.agents import create_agents
from tests.services.conftest import run_at_once

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# The database queue, with no worker: jobs wait until a test runs them. Tests that run a job
# use transactional databases: the job's worker threads write through their own connections.
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def synced(sandbox_settings, settings):
    settings.DEEPCALL_CAD_BATCH_SIZE = 10
    settings.DEEPCALL_CAD_CONCURRENCY = 3
    run = agent_sync(trigger="command")
    assert run.outcome == "succeeded"
    return sandbox_settings


def some_ids(count: int) -> list[str]:
    return list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:count])


def start(user, ids, *, action="enable", key=None):
    job, _ = cad_service.cad_job_create(
        user=user,
        action=action,
        agent_ids=ids,
        idempotency_key=key or cad_service.new_idempotency_key(),
    )
    job.refresh_from_db()
    return job


@pytest.mark.django_db(transaction=True)
def test_a_job_enables_cad_in_batches_and_records_every_agent(synced, admin_user, settings):
    settings.TASKS = IMMEDIATE
    ids = some_ids(35)
    job = start(admin_user, ids)

    assert job.status == CadJob.Status.SUCCEEDED
    assert (job.total, job.succeeded, job.failed, job.not_attempted) == (35, 35, 0, 0)
    assert synced.cad_on == set(ids)
    assert synced.calls["setCad"] == 4  # 10 + 10 + 10 + 5
    assert CadResult.objects.filter(job=job).count() == 35
    assert set(CadResult.objects.filter(job=job).values_list("agent_id", flat=True)) == set(ids)
    assert CadResult.objects.get(job=job, agent_id="2").agent_name == "bhawesh"


@pytest.mark.django_db(transaction=True)
def test_partial_failures_keep_the_api_message_and_retry_takes_only_the_failed(
    synced, admin_user, settings
):
    settings.TASKS = IMMEDIATE
    ids = some_ids(12)
    synced.set_faults(
        cad_failures={
            ids[0]: {"code": 1501, "message": "Data already in processing"},
            ids[5]: "Agent is busy",
        }
    )
    job = start(admin_user, ids)

    assert job.status == CadJob.Status.PARTIAL
    assert (job.succeeded, job.failed) == (10, 2)
    failed = CadResult.objects.get(job=job, agent_id=ids[0])
    assert failed.outcome == "failed"
    assert failed.message == "Data already in processing"
    assert failed.code == 1501

    synced.set_faults()  # DeepCall is fine again
    retry = cad_service.cad_job_retry_failed(
        job=job, user=admin_user, idempotency_key=cad_service.new_idempotency_key()
    )
    retry.refresh_from_db()
    assert retry.kind == CadJob.Kind.RETRY and retry.source_job == job
    assert sorted(retry.agent_ids) == sorted([ids[0], ids[5]])
    assert retry.status == CadJob.Status.SUCCEEDED
    assert synced.cad_on == set(ids)


@pytest.mark.django_db(transaction=True)
def test_undo_disables_exactly_the_agents_the_job_changed(synced, admin_user, settings):
    settings.TASKS = IMMEDIATE
    ids = some_ids(6)
    synced.set_cad_on(["999999"])  # someone else's CAD, untouched by the undo
    synced.set_faults(cad_failures={ids[1]: "nope"})
    job = start(admin_user, ids)
    undo = cad_service.cad_job_undo(
        job=job,
        user=admin_user,
        idempotency_key=cad_service.new_idempotency_key(),
        include_unknown=True,  # nothing was set here before: every state before is unknown
    )
    undo.refresh_from_db()
    assert undo.action == CadJob.Action.DISABLE
    assert sorted(undo.agent_ids) == sorted(set(ids) - {ids[1]})
    assert synced.cad_on == {"999999"}


@pytest.mark.django_db
def test_the_same_confirmation_twice_creates_one_job(synced, admin_user, settings):
    settings.TASKS = QUEUED
    key = cad_service.new_idempotency_key()
    first = start(admin_user, some_ids(3), key=key)
    second = start(admin_user, some_ids(3), key=key)
    assert first.pk == second.pk
    assert CadJob.objects.count() == 1


@pytest.mark.django_db
def test_a_job_for_agents_a_running_job_covers_is_refused(synced, admin_user, settings):
    settings.TASKS = QUEUED
    start(admin_user, some_ids(5))
    with pytest.raises(cad_service.CadJobRefused, match="already in a CAD job"):
        start(admin_user, some_ids(8)[3:])
    # Agents of no running job are fine.
    assert start(admin_user, some_ids(20)[10:]).status == CadJob.Status.QUEUED


@pytest.mark.django_db
def test_nothing_selected_is_refused_with_a_clear_message(synced, admin_user):
    with pytest.raises(cad_service.CadJobRefused, match="No agents selected"):
        start(admin_user, [])


@pytest.mark.django_db(transaction=True)
def test_a_crashed_worker_loses_nothing_and_reports_nothing_twice(synced, admin_user, settings):
    settings.TASKS = QUEUED
    ids = some_ids(30)
    job = start(admin_user, ids)
    # A worker recorded batch 1, then died holding batch 2.
    batch1 = CadBatch.objects.get(job=job, number=1)
    batch1.state = CadBatch.State.RUNNING
    batch1.save()
    cad_service.cad_batch_record(
        job=job, batch=batch1, outcomes=[(i, "succeeded", "", None) for i in batch1.agent_ids]
    )
    CadBatch.objects.filter(job=job, number=2).update(
        state=CadBatch.State.RUNNING, claimed_at=timezone.now() - cad_service.CLAIM_LEASE * 2
    )
    CadJob.objects.filter(pk=job.pk).update(status=CadJob.Status.RUNNING)

    resumed = cad_service.cad_jobs_resume()
    assert [j.pk for j in resumed] == [job.pk]
    job = cad_service.cad_job_run(job_id=job.pk)

    assert job.status == CadJob.Status.SUCCEEDED
    assert CadResult.objects.filter(job=job).count() == 30
    assert job.succeeded == 30
    assert synced.calls["setCad"] == 2  # batches 2 and 3 only; batch 1 was not sent again


@pytest.mark.django_db(transaction=True)
def test_a_batch_held_within_its_lease_is_taken_back_by_a_deferred_run(
    synced, admin_user, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = QUEUED
    ids = some_ids(30)
    job = start(admin_user, ids)
    # The worker died holding batch 2 and restarted at once: its lease has not run out yet.
    held_since = timezone.now()
    CadBatch.objects.filter(job=job, number=2).update(
        state=CadBatch.State.RUNNING, claimed_at=held_since
    )

    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.RUNNING
    assert (job.done, synced.calls["setCad"]) == (20, 2)
    deferred = DBTaskResult.objects.filter(args_kwargs__kwargs__job_id=job.pk).latest("run_after")
    assert deferred.run_after >= held_since + cad_service.CLAIM_LEASE

    # The lease runs out; the deferred run takes batch 2 back and finishes the job.
    CadBatch.objects.filter(job=job, number=2).update(
        claimed_at=held_since - cad_service.CLAIM_LEASE * 2
    )
    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.SUCCEEDED
    assert CadResult.objects.filter(job=job).count() == 30
    assert synced.calls["setCad"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_resume_command_queues_unfinished_jobs_only(synced, admin_user, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.TASKS = QUEUED
    unfinished = start(admin_user, some_ids(10))
    finished = start(admin_user, some_ids(20)[10:])
    cad_service.cad_job_run(job_id=finished.pk)

    out = StringIO()
    call_command("cad_resume", stdout=out)
    assert f"resumed CAD job {unfinished.public_id} (0/10 done)" in out.getvalue()
    assert str(finished.public_id) not in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_died_after_the_last_batch_leaves_a_job_resume_finishes(
    synced, admin_user, settings
):
    settings.TASKS = QUEUED
    job = start(admin_user, some_ids(10))
    batch = CadBatch.objects.get(job=job)
    cad_service.cad_batch_record(
        job=job, batch=batch, outcomes=[(i, "succeeded", "", None) for i in batch.agent_ids]
    )
    CadJob.objects.filter(pk=job.pk).update(status=CadJob.Status.RUNNING)  # then it died

    assert [j.pk for j in cad_service.cad_jobs_resume()] == [job.pk]
    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.SUCCEEDED and job.succeeded == 10
    assert synced.calls["setCad"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_admins_confirming_overlapping_agents_at_once_start_one_job(
    synced, admin_user, settings
):
    settings.TASKS = QUEUED
    ids = some_ids(10)
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm(chosen):
        barrier.wait()
        try:
            outcomes.append(start(admin_user, chosen).pk)
        except cad_service.CadJobRefused as refused:
            outcomes.append(refused.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(chosen,)) for chosen in (ids, ids[5:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert CadJob.objects.count() == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["int", "str"]
    assert any("already in a CAD job" in str(o) for o in outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_batch(synced, admin_user, settings):
    settings.TASKS = QUEUED
    synced.set_faults(latency_ms=20)
    job = start(admin_user, some_ids(100))
    _, errors = run_at_once(lambda: cad_service.cad_job_run(job_id=job.pk), times=2)

    assert errors == []

    job.refresh_from_db()
    assert job.status == CadJob.Status.SUCCEEDED
    assert synced.calls["setCad"] == 10  # 100 agents in batches of 10, each sent once
    assert CadResult.objects.filter(job=job).count() == 100


@pytest.mark.django_db
def test_expired_credentials_stop_the_job_and_say_why(synced, admin_user, settings):
    settings.TASKS = IMMEDIATE
    settings.DEEPCALL_CAD_CONCURRENCY = 1
    synced.set_faults(expire_after=0)
    job = start(admin_user, some_ids(30))
    assert job.status == CadJob.Status.FAILED
    assert job.not_attempted == 30
    assert synced.calls["setCad"] == 1  # no point sending the other batches
    assert "credentials" in job.message
    result = CadResult.objects.filter(job=job).first()
    assert result.outcome == "not_attempted"


@pytest.mark.django_db(transaction=True)
def test_a_batch_deepcall_fails_as_a_whole_is_not_attempted_and_the_others_are_still_sent(
    synced, admin_user, settings
):
    settings.TASKS = IMMEDIATE
    settings.DEEPCALL_CAD_CONCURRENCY = 1
    ids = some_ids(30)
    synced.set_faults(fail_next=1)  # the first setCad call answers 502

    job = start(admin_user, ids)

    assert synced.calls["setCad"] == 3
    assert (job.succeeded, job.not_attempted) == (20, 10)
    first = CadResult.objects.filter(job=job, batch_number=1)
    assert {r.outcome for r in first} == {"not_attempted"}
    assert "may or may not have been applied" in first.first().message
    assert synced.cad_on == set(ids[10:])


@pytest.mark.django_db
def test_all_matching_twenty_thousand_agents_makes_a_job_without_posting_ids(admin_user, settings):
    settings.TASKS = QUEUED
    create_agents(range(1, 40_001), active=lambda n: n % 2 == 0)
    selection = Selection(all_matching_query=QueryDict("status=active").urlencode())
    assert selection.count() == 20_000
    job = cad_service.cad_job_start(
        user=admin_user,
        action="enable",
        agents=selection.agents(),
        idempotency_key=cad_service.new_idempotency_key(),
        filter_query=selection.all_matching_query,
        filter_description=selection.description,
    )
    assert job.total == 20_000
    assert job.filter_description.startswith("all agents matching")
    assert CadBatch.objects.filter(job=job).count() == 200


def _age_claims(job) -> None:
    """The lease of every held batch runs out (as if CLAIM_LEASE had passed)."""
    CadBatch.objects.filter(job=job, state=CadBatch.State.RUNNING).update(
        claimed_at=timezone.now() - cad_service.CLAIM_LEASE * 2
    )


@pytest.mark.django_db(transaction=True)
def test_a_bug_in_a_batch_ends_in_an_interrupted_job_that_frees_its_agents(
    synced, admin_user, settings, monkeypatch, client
):
    settings.TASKS = QUEUED
    ids = some_ids(30)
    job = start(admin_user, ids)

    class BrokenClient:
        def cad_batch(self, agent_ids, *, enable):
            raise RuntimeError("injected bug")

    monkeypatch.setattr(cad_service, "get_deepcall_client", BrokenClient)
    for _ in range(cad_service.CAD_BATCH_ATTEMPTS):
        job = cad_service.cad_job_run(job_id=job.pk)  # never raises: the batches wait
        assert job.status == CadJob.Status.RUNNING
        # Given back at once, for the next run (queued after RETRY_DELAY), not held for a lease.
        assert not CadBatch.objects.filter(job=job, state=CadBatch.State.RUNNING).exists()
        assert set(CadBatch.objects.filter(job=job).values_list("last_error", flat=True)) == {
            "RuntimeError"
        }
    job = cad_service.cad_job_run(job_id=job.pk)

    assert job.status == CadJob.Status.INTERRUPTED
    assert job.finished_at is not None
    assert "failed 3 times with an unexpected error (RuntimeError)" in job.message
    assert (job.succeeded, job.not_attempted) == (0, 30)
    assert synced.calls["setCad"] == 0
    # Its agents are free: a new job for them starts.
    monkeypatch.undo()
    assert start(admin_user, ids[:5]).status == CadJob.Status.QUEUED
    # The job's page says what happened and what to do, and offers the retry.
    client.force_login(admin_user)
    page = client.get(f"/cad/{job.public_id}/").content.decode()
    assert "Interrupted" in page
    assert "then use Retry failed" in page
    assert "Retry failed</button>" in page


@pytest.mark.django_db(transaction=True)
def test_a_passing_database_error_only_delays_a_batch(synced, admin_user, settings, monkeypatch):
    from django.db import OperationalError

    settings.TASKS = QUEUED
    settings.DEEPCALL_CAD_CONCURRENCY = 1
    ids = some_ids(30)
    job = start(admin_user, ids)
    record = cad_service.cad_batch_record
    failures = iter([True])

    def record_once_failing(*args, **kwargs):
        if next(failures, False):
            raise OperationalError("injected: database is locked")
        return record(*args, **kwargs)

    monkeypatch.setattr(cad_service, "cad_batch_record", record_once_failing)
    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.RUNNING
    assert CadBatch.objects.get(job=job, number=1).last_error == "OperationalError"

    # The batch was given back, and another run is queued for after RETRY_DELAY.
    assert CadBatch.objects.get(job=job, number=1).state == CadBatch.State.PENDING
    job = cad_service.cad_job_run(job_id=job.pk)
    assert job.status == CadJob.Status.SUCCEEDED
    assert CadResult.objects.filter(job=job).count() == 30


@pytest.mark.django_db(transaction=True)
def test_a_stalling_deepcall_ends_the_job_cleanly_and_retry_failed_completes_it(
    synced, admin_user, settings
):
    from agents.upstream import reset_deepcall_client

    settings.TASKS = IMMEDIATE
    settings.DEEPCALL_READ_TIMEOUT = 0.5  # DeepCall "stops answering" for longer than this
    reset_deepcall_client()
    ids = some_ids(60)
    synced.set_faults(hang_rate=1.0, hang_seconds=5, actions=["setCad"])

    job = start(admin_user, ids)

    assert job.status == CadJob.Status.FAILED
    outcomes = dict(CadResult.objects.filter(job=job).values_list("agent_id", "outcome"))
    assert sorted(outcomes) == sorted(ids)  # every agent accounted for, none twice
    assert set(outcomes.values()) == {"not_attempted"}
    sent = CadResult.objects.filter(job=job, message__startswith="DeepCall did not answer")
    unsent = CadResult.objects.filter(job=job, message__startswith="Not sent: DeepCall did not")
    assert sent.count() + unsent.count() == 60
    assert sent.count() == 10 * synced.calls["setCad"]  # no batch sent after the stall showed
    assert "DeepCall did not answer in time" in job.message

    synced.set_faults()  # DeepCall answers again
    retry = cad_service.cad_job_retry_failed(
        job=job, user=admin_user, idempotency_key=cad_service.new_idempotency_key()
    )
    retry.refresh_from_db()
    assert (retry.status, retry.succeeded) == (CadJob.Status.SUCCEEDED, 60)
    assert synced.cad_on == set(ids)
