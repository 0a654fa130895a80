"""API benchmark: `GET /api/v1/agents` against the directory's htmx partial, same filter.

    .venv/bin/python bench/api_bench.py              # 10,000 and 100,000 agents
    .venv/bin/python bench/api_bench.py 100000       # one size
    BENCH_API_ROUNDS=40 .venv/bin/python bench/api_bench.py 100000

Each size runs in its own process with a fresh temporary SQLite file (production-like settings,
DEBUG off, as bench/directory_bench.py), filled by one full sync from a sandbox serving that many
agents, with a CAD ledger as after some jobs. A Supervisor asks for the same agents both ways,
alternating in one process (API then partial, then the other way round), so both see the same
load: the directory's partial (session, HX-Request) and the API (a bearer token; each read also
writes its audit row, as it must). The same rows each time: 25 a page, the directory's default,
and one case at 100 (the API's default page). Prints each side's median wall time and CPU time
of the serving thread, and the ratio API/partial; target: at most 1.0 at 100,000 agents.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The same temporary database, settings and sync as the directory benchmark.
from directory_bench import WARMUP_RUNS, _database_of, configure

SIZES = (10_000, 100_000)
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "25"))
TARGET_RATIO = 1.0
# "{n}" becomes a running number (a search nobody made before: nothing cached); "{deep}" the
# middle page at 25 rows.
CASES = {
    "first page": {},
    "group + status": {"group": "32", "status": "active"},
    "status + destination + search": {"status": "active", "dest_type": "SIP", "q": "an"},
    "a new search term": {"q": "ab{n}"},
    "deep page": {"page": "{deep}"},
    "first page, 100 rows": {"per_page": "100"},
}
PER_PAGE = "25"


def _ledger_as_after_some_jobs() -> None:
    """Every third agent set on here, every seventh off (the API reads each one's state)."""
    from django.utils import timezone

    from agents.models import Agent, CadState

    now = timezone.now()
    ids = Agent.objects.values_list("agent_id", flat=True)
    CadState.objects.bulk_create(
        (
            CadState(agent_id=agent_id, state="on" if n % 3 == 0 else "off", set_at=now)
            for n, agent_id in enumerate(ids)
            if n % 3 == 0 or n % 7 == 0
        ),
        batch_size=2000,
    )


def run_size(size: int) -> int:
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        configure(str(Path(tmp) / "bench.sqlite3"))
        from django.conf import settings
        from django.contrib.auth.models import Group as Role
        from django.contrib.auth.models import User
        from django.test import Client

        from agents.roles import SUPERVISOR
        from agents.services.api_tokens import api_token_issue

        # Timed requests, not a script to slow down: the limit has its own tests.
        settings.API_RATE_LIMIT = 10**9
        _database_of(size)
        _ledger_as_after_some_jobs()
        user = User.objects.create_user("bench.supervisor", password="bench-password-1")
        user.groups.add(Role.objects.get(name=SUPERVISOR))
        partial = Client(headers={"HX-Request": "true"})
        partial.force_login(user)
        token = api_token_issue(user=user, name="bench").token
        api = Client(headers={"Authorization": f"Bearer {token}"})

        def partial_get(params: dict) -> int:
            response = partial.get("/agents/", params)
            assert response.status_code == 200, response.status_code
            return response.content.count(b"<tr")

        def api_get(params: dict) -> int:
            response = api.get("/api/v1/agents", params)
            assert response.status_code == 200, (response.status_code, response.content[:300])
            return len(response.json()["results"])

        sides = {"API": api_get, "partial": partial_get}
        print(f"\n{size:,} agents; load average {os.getloadavg()[0]:.2f} at the start")
        print(f"  median of {ROUNDS} alternating (after {WARMUP_RUNS} warm-up), ms [CPU ms]:")
        print(f"  {'case':<31} {'API':>16} {'partial':>16} {'API/partial':>12}")
        failures = 0
        counter = 0
        for label, template in CASES.items():
            wall = {name: [] for name in sides}
            cpu = {name: [] for name in sides}
            for round_ in range(WARMUP_RUNS + ROUNDS):
                counter += 1
                params = {"per_page": PER_PAGE}
                params |= {
                    key: value.format(n=counter, deep=size // 25 // 2)
                    for key, value in template.items()
                }
                order = ("API", "partial") if round_ % 2 == 0 else ("partial", "API")
                for name in order:
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    sides[name](params)
                    if round_ >= WARMUP_RUNS:
                        wall[name].append((time.perf_counter() - started) * 1000)
                        cpu[name].append((time.thread_time() - started_cpu) * 1000)
            api_ms, partial_ms = statistics.median(wall["API"]), statistics.median(wall["partial"])
            api_cpu, partial_cpu = statistics.median(cpu["API"]), statistics.median(cpu["partial"])
            ratio = api_ms / partial_ms
            flag = ""
            if size >= 100_000 and ratio > TARGET_RATIO:
                flag, failures = "  ← over target", failures + 1
            print(
                f"  {label:<31} {api_ms:7.1f} [{api_cpu:5.1f}] {partial_ms:7.1f} [{partial_cpu:5.1f}]"
                f" {ratio:6.2f} [{api_cpu / partial_cpu:4.2f}]{flag}",
                flush=True,
            )
        print(f"  load average {os.getloadavg()[0]:.2f} at the end")
        return failures


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        return run_size(int(sys.argv[2]))
    failures = 0
    for size in [int(a) for a in sys.argv[1:]] or list(SIZES):
        result = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], cwd=Path(__file__).parent, check=False
        )
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
