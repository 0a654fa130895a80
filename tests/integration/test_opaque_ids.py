"""A CAD job for one agent whose id looks like several (or like a path) reaches the sandbox,
over real HTTP, as that one id: the sandbox ends with CAD on for it and for no other agent."""

import pytest

from agents.models import Agent, CadJob
from agents.services import agent_sync
from agents.services import cad_jobs as cad_service
from tests.fixtures.sandbox import add_odd_agents

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("odd_id", ["1001,1002", "a/b"])
def test_a_cad_job_for_one_odd_id_turns_cad_on_for_exactly_that_agent(
    sandbox_settings, settings, admin_user, odd_id
):
    settings.TASKS = IMMEDIATE
    add_odd_agents(sandbox_settings)
    assert agent_sync(trigger="command").outcome == "succeeded"
    assert Agent.objects.filter(agent_id=odd_id).exists()

    job, _ = cad_service.cad_job_create(
        user=admin_user,
        action="enable",
        agent_ids=[odd_id],
        idempotency_key=cad_service.new_idempotency_key(),
    )
    job.refresh_from_db()

    assert job.status == CadJob.Status.SUCCEEDED
    assert (job.total, job.succeeded, job.failed) == (1, 1, 0)
    # Not "1001" and "1002", which the sandbox also lists: the id went whole, and alone.
    assert sandbox_settings.cad_on == {odd_id}
