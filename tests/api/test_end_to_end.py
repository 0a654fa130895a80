"""A script's whole round over real HTTP: a token from the command, a CAD job started through
the API on the live server, run by a task worker against the sandbox (real HTTP too), followed
until it finishes, and its results read back, page by page."""

import time
from io import StringIO

import httpx
import pytest
from django.core.management import call_command

from agents.models import Agent, CadJob
from agents.services import agent_sync
from tests.fixtures.workers import one_cad_job_worker

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A job of 12 agents in batches of 5 takes well under a second against the sandbox; a slow,
# shared test machine gets far more.
FINISH_DEADLINE_S = 60


def test_a_script_runs_a_cad_job_and_reads_its_results(
    live_server, sandbox_settings, settings, admin_user
):
    settings.DEEPCALL_SYNC_TTL = 10**9
    settings.DEEPCALL_CAD_BATCH_SIZE = 5
    settings.TASKS = DATABASE_QUEUE
    assert agent_sync(trigger="command").outcome == "succeeded"
    ids = list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:12])
    sandbox_settings.set_faults(cad_failures={ids[4]: "Agent is busy"})
    out = StringIO()
    call_command(
        "api_token", admin_user.username, "--name", "rostering", stdout=out, stderr=StringIO()
    )
    headers = {"Authorization": f"Bearer {out.getvalue().strip()}"}

    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as api:
        started = api.post(
            "/api/v1/cad-jobs",
            json={"action": "enable", "agent_ids": ids},
            headers={"Idempotency-Key": "rostering-2026-12-07"},
        )
        assert started.status_code == 201, started.text
        job_url = live_server.url + started.headers["location"]

        with one_cad_job_worker("api-test-worker"):
            deadline = time.monotonic() + FINISH_DEADLINE_S
            job = api.get(job_url).json()
            while job["status"] in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                job = api.get(job_url).json()

        assert (job["status"], job["succeeded"], job["failed"]) == ("partial", 11, 1)
        first = api.get(job["results_url"], params={"per_page": 10}).json()
        rest = api.get(first["next"]).json()
        results = first["results"] + rest["results"]
        assert first["count"] == 12 and rest["next"] is None
        assert sorted(r["agent_id"] for r in results) == sorted(ids)
        failed = [r for r in results if r["outcome"] == "failed"]
        assert [(r["agent_id"], r["message"]) for r in failed] == [(ids[4], "Agent is busy")]

        again = api.post(
            "/api/v1/cad-jobs",
            json={"action": "enable", "agent_ids": ids},
            headers={"Idempotency-Key": "rostering-2026-12-07"},
        )
        assert again.status_code == 200 and again.json()["id"] == job["id"]

    assert sandbox_settings.cad_on == set(ids) - {ids[4]}
    assert CadJob.objects.get().api_token_name == "rostering"
