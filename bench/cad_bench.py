"""Bulk CAD: 1,000 agents against the sandbox with 100 ms latency per call.

Times a job (batches of 100, 4 calls in flight) beside one call per agent in sequence, which is
timed on a sample of calls and extrapolated to 1,000 (a full run would take minutes).
Run: `.venv/bin/python bench/cad_bench.py` (part of `make bench`).
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="deepcall-cad-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ["DJANGO_LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from agents.models import Agent  # noqa: E402
from agents.sandbox import SANDBOX_TOKEN, SANDBOX_USER_ID  # noqa: E402
from agents.sandbox.server import start_in_thread  # noqa: E402
from agents.services import agent_sync  # noqa: E402
from agents.services import cad_jobs as cad_service  # noqa: E402
from agents.upstream import get_deepcall_client, reset_deepcall_client  # noqa: E402

AGENTS = 1_000
LATENCY_MS = 100
JOB_RUNS = 5
SEQUENTIAL_SAMPLE = 20  # calls per sequential run
SEQUENTIAL_RUNS = 3
TARGET_S = 2.0


def main() -> None:
    call_command("migrate", verbosity=0)
    sandbox = start_in_thread(agents=AGENTS + 100, page_size=500)
    settings.DEEPCALL_API_URL = sandbox.url
    settings.DEEPCALL_SSID = ""
    settings.DEEPCALL_USER_ID, settings.DEEPCALL_TOKEN = SANDBOX_USER_ID, SANDBOX_TOKEN
    settings.DEEPCALL_CAD_BATCH_SIZE = 100
    settings.DEEPCALL_CAD_CONCURRENCY = 4
    settings.DEEPCALL_SYNC_TTL = 10**9
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reset_deepcall_client()
    agent_sync(trigger="command")
    ids = list(Agent.objects.order_by("agent_id_sort").values_list("agent_id", flat=True)[:AGENTS])
    user = get_user_model().objects.create_user("bench-admin")
    sandbox.set_faults(latency_ms=LATENCY_MS)

    job_seconds = []
    for run in range(JOB_RUNS):
        action = "enable" if run % 2 == 0 else "disable"
        job, _ = cad_service.cad_job_create(
            user=user,
            action=action,
            agent_ids=ids,
            idempotency_key=cad_service.new_idempotency_key(),
        )
        started = time.perf_counter()
        job = cad_service.cad_job_run(job_id=job.pk)
        job_seconds.append(time.perf_counter() - started)
        assert job.succeeded == AGENTS, job.status

    client = get_deepcall_client()
    per_call_runs = []
    for run in range(SEQUENTIAL_RUNS):
        sample = ids[run * SEQUENTIAL_SAMPLE : (run + 1) * SEQUENTIAL_SAMPLE]
        started = time.perf_counter()
        for agent_id in sample:
            client.cad_batch([agent_id], enable=True)
        per_call_runs.append((time.perf_counter() - started) / len(sample))
    per_call = statistics.median(per_call_runs)
    sandbox.stop()

    median = statistics.median(job_seconds)
    print(f"CAD for {AGENTS:,} agents, sandbox latency {LATENCY_MS} ms per call:")
    print(
        f"  job (batches of 100, 4 at a time): median {median:.2f} s over {JOB_RUNS} runs "
        f"(min {min(job_seconds):.2f}, max {max(job_seconds):.2f}); target < {TARGET_S:.0f} s"
        f" -> {'met' if median < TARGET_S else 'MISSED'}"
    )
    print(
        f"  one call per agent in sequence: {per_call * 1000:.0f} ms per call "
        f"(median of {SEQUENTIAL_RUNS} runs of {SEQUENTIAL_SAMPLE} calls), so "
        f"~{per_call * AGENTS:.0f} s for {AGENTS:,} (extrapolated, not run in full)"
    )
    print(f"  speed-up: {per_call * AGENTS / median:.0f}x")


if __name__ == "__main__":
    main()
