"""The CAD ledger, exact undo, skipping what is already so, and agents deleted in DeepCall.

Jobs run against the sandbox over real HTTP; the sandbox's own CAD set (`cad_on`) is what
DeepCall would hold, the ledger (`CadState`) is what the dashboard knows it set.
"""

import pytest

from agents.models import Agent, CadBatch, CadJob, CadResult, CadState, DeletedAgent
from agents.services import agent_sync
from agents.services import cad_jobs as cad_service
from agents.services.cad_ledger import cad_on_count
from tests.fixtures.sandbox import SANDBOX_DELETED_IDS, SANDBOX_PENDING_DELETION_IDS
from tests.services.conftest import run_at_once

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def synced(sandbox_settings, settings):
    settings.DEEPCALL_CAD_BATCH_SIZE = 10
    settings.DEEPCALL_CAD_CONCURRENCY = 3
    settings.TASKS = IMMEDIATE
    assert agent_sync(trigger="command").outcome == "succeeded"
    return sandbox_settings


def some_ids(count: int) -> list[str]:
    return list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:count])


def run(user, ids, *, action="enable", skip=False) -> CadJob:
    job, _ = cad_service.cad_job_create(
        user=user,
        action=action,
        agent_ids=ids,
        idempotency_key=cad_service.new_idempotency_key(),
        skip_already_set=skip,
    )
    job.refresh_from_db()
    return job


def undo(job, user, *, include_unknown) -> CadJob:
    new = cad_service.cad_job_undo(
        job=job,
        user=user,
        idempotency_key=cad_service.new_idempotency_key(),
        include_unknown=include_unknown,
    )
    new.refresh_from_db()
    return new


def last_sent(sandbox) -> list[str]:
    """The ids of the sandbox's last setCad/unsetCad call (a sync may have listed since)."""
    recent = sandbox.state.snapshot()["recent_requests"]
    return next(r["body"]["agentIds"] for r in reversed(recent) if r["action"] != "list")


def ledger() -> dict[str, str]:
    return dict(CadState.objects.values_list("agent_id", "state"))


# --- the ledger --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_ledger_holds_what_each_success_set_by_whom_and_in_which_job(
    synced, admin_user, settings
):
    ids = some_ids(12)
    synced.set_faults(cad_failures={ids[3]: "Agent is busy"})
    job = run(admin_user, ids)

    assert job.status == CadJob.Status.PARTIAL
    assert ledger() == {i: "on" for i in ids if i != ids[3]}  # a failure sets nothing
    row = CadState.objects.get(agent_id=ids[0])
    assert (row.set_by, row.job) == (admin_user, job)
    # Each result remembers what the ledger said before: nothing, the first time.
    assert set(CadResult.objects.filter(job=job).values_list("state_before", flat=True)) == {
        "unknown"
    }

    off = run(admin_user, ids[:2], action="disable")
    assert ledger()[ids[0]] == ledger()[ids[1]] == "off"
    assert set(CadResult.objects.filter(job=off).values_list("state_before", flat=True)) == {"on"}


@pytest.mark.django_db(transaction=True)
def test_the_ledger_is_exact_with_several_workers_on_one_job(synced, admin_user, settings):
    settings.TASKS = QUEUED
    synced.set_faults(latency_ms=20)
    ids = some_ids(100)
    job = run(admin_user, ids)
    _, errors = run_at_once(lambda: cad_service.cad_job_run(job_id=job.pk), times=3)

    assert errors == []

    job.refresh_from_db()
    assert job.status == CadJob.Status.SUCCEEDED and job.succeeded == 100
    assert ledger() == {i: "on" for i in ids}
    assert set(CadState.objects.values_list("job_id", flat=True)) == {job.pk}
    assert synced.cad_on == set(ids)


@pytest.mark.django_db(transaction=True)
def test_a_batch_recorded_twice_moves_neither_the_ledger_nor_the_counts(
    synced, admin_user, settings
):
    settings.TASKS = QUEUED
    ids = some_ids(10)
    job = run(admin_user, ids)
    (batch,) = CadBatch.objects.filter(job=job)
    # Two workers hold the same batch (the first outlived its lease) and record it at once.
    outcomes_to_record = iter(["succeeded", "failed"])

    def record():
        outcome = next(outcomes_to_record)
        cad_service.cad_batch_record(
            job=job, batch=batch, outcomes=[(i, outcome, "", None) for i in ids]
        )

    _, errors = run_at_once(record)

    assert errors == []

    job.refresh_from_db()
    outcomes = set(CadResult.objects.filter(job=job).values_list("outcome", flat=True))
    assert len(outcomes) == 1  # one recording won, whole; the other wrote nothing
    assert CadResult.objects.filter(job=job).count() == 10
    assert job.succeeded + job.failed == 10
    assert ledger() == ({i: "on" for i in ids} if outcomes == {"succeeded"} else {})


# --- exact undo --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_undo_keeps_agents_known_to_be_on_before_and_asks_about_the_unknown(synced, admin_user):
    first_ten, hundred = some_ids(10), some_ids(100)
    run(admin_user, first_ten)
    second = run(admin_user, hundred)  # sent to all 100, the 10 included

    plan = cad_service.cad_undo_plan(second)
    assert (plan.action, plan.restore, plan.kept) == ("disable", [], 10)
    assert sorted(plan.unknown) == sorted(hundred[10:])
    assert (plan.without_unknown, plan.with_unknown) == (0, 90)

    with pytest.raises(cad_service.CadJobRefused, match="state before is not known"):
        undo(second, admin_user, include_unknown=False)
    undone = undo(second, admin_user, include_unknown=True)

    assert undone.status == CadJob.Status.SUCCEEDED and undone.total == 90
    assert synced.cad_on == set(first_ten)
    assert ledger() == {**{i: "off" for i in hundred}, **{i: "on" for i in first_ten}}


@pytest.mark.django_db(transaction=True)
def test_undo_restores_known_states_and_undoing_the_undo_redoes(synced, admin_user):
    ids = some_ids(6)
    run(admin_user, ids)  # all on, as set here
    off = run(admin_user, ids[:4], action="disable")  # 4 known on before

    back = undo(off, admin_user, include_unknown=False)
    assert (back.action, sorted(back.agent_ids)) == ("enable", sorted(ids[:4]))
    assert synced.cad_on == set(ids)

    again = undo(back, admin_user, include_unknown=False)  # the undo of an undo redoes
    assert (again.action, sorted(again.agent_ids)) == ("disable", sorted(ids[:4]))
    assert synced.cad_on == set(ids[4:])
    assert ledger() == {**{i: "off" for i in ids[:4]}, **{i: "on" for i in ids[4:]}}


@pytest.mark.django_db(transaction=True)
def test_undo_of_agents_all_known_already_so_is_refused_with_why(synced, admin_user):
    ids = some_ids(3)
    run(admin_user, ids)
    again = run(admin_user, ids)  # sent to all; all were on before
    with pytest.raises(cad_service.CadJobRefused, match="were already on before it"):
        undo(again, admin_user, include_unknown=True)


@pytest.mark.django_db(transaction=True)
def test_undo_is_refused_while_its_agents_are_in_another_running_job(synced, admin_user, settings):
    ids = some_ids(5)
    job = run(admin_user, ids)
    settings.TASKS = QUEUED
    run(admin_user, ids[:1], action="disable")  # queued, not run
    with pytest.raises(cad_service.CadJobRefused, match="already in a CAD job"):
        undo(job, admin_user, include_unknown=True)


# --- skip what is already so ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enable_skips_agents_known_to_be_on_and_records_why(synced, admin_user):
    first_ten, twenty = some_ids(10), some_ids(20)
    run(admin_user, first_ten)
    calls_before = synced.calls["setCad"]

    job = run(admin_user, twenty, skip=True)

    assert job.status == CadJob.Status.SUCCEEDED
    assert (job.total, job.succeeded, job.skipped) == (20, 10, 10)
    assert sorted(job.agent_ids) == sorted(twenty[10:])  # only the others were sent
    assert synced.calls["setCad"] - calls_before == 1
    assert sorted(last_sent(synced)) == sorted(twenty[10:])
    skipped = CadResult.objects.filter(job=job, outcome=CadResult.Outcome.SKIPPED)
    assert sorted(skipped.values_list("agent_id", flat=True)) == sorted(first_ten)
    assert skipped.first().message.startswith("Already on, as set here on ")
    # Skipped agents are neither retried nor undone.
    assert cad_service.cad_undo_plan(job).with_unknown == 10


@pytest.mark.django_db(transaction=True)
def test_when_every_agent_is_already_on_skipping_leaves_nothing_and_says_so(synced, admin_user):
    ids = some_ids(4)
    run(admin_user, ids)
    with pytest.raises(cad_service.CadJobRefused, match="already on, as set here"):
        run(admin_user, ids, skip=True)
    assert run(admin_user, ids, skip=False).succeeded == 4  # "send to all" still sends


# --- deleted in DeepCall -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_agents_deleted_in_deepcall_are_left_out_and_pending_ones_flagged(synced):
    listed = set(Agent.objects.values_list("agent_id", flat=True))
    assert not listed & set(SANDBOX_DELETED_IDS)
    assert set(DeletedAgent.objects.values_list("agent_id", flat=True)) == set(SANDBOX_DELETED_IDS)
    pending = set(Agent.objects.filter(pending_deletion=True).values_list("agent_id", flat=True))
    assert pending == set(SANDBOX_PENDING_DELETION_IDS)


@pytest.mark.django_db(transaction=True)
def test_a_job_holding_a_deleted_agent_reports_it_not_attempted(synced, admin_user):
    ids = [*some_ids(3), SANDBOX_DELETED_IDS[0]]
    job = run(admin_user, ids)

    result = CadResult.objects.get(job=job, agent_id=SANDBOX_DELETED_IDS[0])
    assert (result.outcome, result.message) == ("not_attempted", "Deleted in DeepCall")
    assert (job.succeeded, job.not_attempted) == (3, 1)
    assert sorted(last_sent(synced)) == sorted(ids[:3])
    assert SANDBOX_DELETED_IDS[0] not in ledger()


@pytest.mark.django_db(transaction=True)
def test_the_count_of_cad_on_leaves_out_agents_no_longer_listed(synced, admin_user):
    ids = some_ids(5)
    run(admin_user, ids)
    assert cad_on_count() == 5
    Agent.objects.filter(agent_id=ids[0]).delete()  # as a sync does for a deleted agent
    assert cad_on_count() == 4
