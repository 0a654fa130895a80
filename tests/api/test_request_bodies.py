"""A request body that is not the JSON object an operation documents is refused, even where
every field has a default (found by the schema run: an undo took `[null, null]` as `{}`, since
a ninja Schema nested in the body reads any value as an object without attributes; a model
that forbids extra fields does not)."""

import pytest

from agents.models import Agent
from agents.services import agent_sync

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def finished_job(admin_api, sandbox_settings, settings) -> dict:
    settings.TASKS = IMMEDIATE
    # One batch after another, in this thread: the test's transaction holds the database.
    settings.DEEPCALL_CAD_CONCURRENCY = 1
    assert agent_sync(trigger="command").outcome == "succeeded"
    ids = list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:3])
    response = admin_api.post(
        "/api/v1/cad-jobs", {"action": "enable", "agent_ids": ids}, HTTP_IDEMPOTENCY_KEY="job-1"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("body", [[None, None], [], 5, '"leave"'])
def test_an_undo_whose_body_is_not_an_object_is_refused(admin_api, finished_job, body):
    response = admin_api.post(f"{finished_job['url']}/undo", body, HTTP_IDEMPOTENCY_KEY="undo-1")
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
