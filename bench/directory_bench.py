"""Directory benchmark: full sync from the sandbox, then the htmx table partial's response time.

    .venv/bin/python bench/directory_bench.py            # 10,000 and 100,000 agents
    .venv/bin/python bench/directory_bench.py 10000      # one size
    .venv/bin/python bench/directory_bench.py --ab ../base-5458e0b . 10000 100000
    .venv/bin/python bench/directory_bench.py --scope 100000

`--ab TREE_A TREE_B [SIZES]` compares two work trees of this repository (each with its own
`.venv`) in one run: each tree serves the directory from its own process and database, and
the requests alternate between them (A then B, then B then A), full page and htmx partial,
so both see the same load; it prints each side's median and the ratio B/A. `--ab-pages`
does the same for the schedules page and the change history, as a manager. BENCH_AB_ROUNDS
(20) sets the alternations a case, BENCH_AB_CASES a word the cases' names must hold.
BENCH_AB_POSTGRES=postgres://postgres@127.0.0.1:5432 (and BENCH_AB_REDIS=redis://127.0.0.1:6379)
runs both sides on PostgreSQL (and Redis), as `make loadtest` can, instead of SQLite and local
memory: each side on a database of its own, created and dropped by the run.

`--scope [SIZES]` compares a supervisor scoped to two groups (about a fifth of the agents) with
an unscoped one on the same database, alternating (unscoped then scoped, then the other way
round): the directory (full page and partial), the schedules page and the change history
(one change per agent recorded), and prints each side's median wall time and serving-thread CPU
time, and the ratios scoped/unscoped (target: at most 1.1).

Each size runs in its own process with a fresh temporary SQLite file (production-like
settings: DEBUG off), fills it with one full sync from a sandbox serving that many agents, then
times the partial through Django's test Client (HX-Request, logged in as a supervisor) and
the CSV export of every agent.
Targets on a 2-core machine: filtered partial under 50 ms median at 10,000 agents, 150 ms at
100,000; a full sync of 100,000 agents under ~30 s.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

# The tree whose code runs: a worker of `--ab` serves another tree's code with this script.
ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parent.parent)
SIZES = (10_000, 100_000)
WARMUP_RUNS = 3
RUNS = 15
EXPORT_RUNS = 3
TARGET_MS = {10_000: 50, 100_000: 150}


def configure(db_path: str, *, database_url: str = "", redis_url: str = "") -> None:
    """Production-like settings on the SQLite file `db_path`, or on `database_url` (and the
    shared cache on `redis_url`) when given."""
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DATABASE_URL": database_url or f"sqlite:///{db_path}",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DEEPCALL_SANDBOX_ENABLED": "1",
            "DJANGO_LOG_LEVEL": "WARNING",
            # The page must not queue background syncs while it is being timed.
            "DEEPCALL_SYNC_TTL": "1000000",
        }
    )
    sys.path.insert(0, str(ROOT))
    # Static files are not collected for a benchmark; whitenoise's warning says so, harmlessly.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def _median_ms(fn, runs: int = RUNS) -> tuple[float, float]:
    for _ in range(min(WARMUP_RUNS, runs)):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def run_size(size: int) -> int:
    with tempfile.TemporaryDirectory(prefix="directory-bench-") as tmp:
        configure(str(Path(tmp) / "bench.sqlite3"))
        from django.conf import settings
        from django.contrib.auth.models import Group as Role
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.test import Client
        from django.utils import timezone

        from agents.models import Agent, CadState, Group
        from agents.roles import SUPERVISOR
        from agents.sandbox.server import start_in_thread
        from agents.services.read_model_sync import agent_sync
        from agents.upstream import reset_deepcall_client

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        sandbox = start_in_thread(agents=size)
        print(f"\n{size:,} agents (sandbox ready in {time.perf_counter() - started:.1f} s)")
        try:
            settings.DEEPCALL_API_URL = sandbox.url
            reset_deepcall_client()
            run = agent_sync(trigger="command")
            assert run.outcome == "succeeded", run.message
            print(
                f"  full sync (empty DB):     {run.duration_ms / 1000:6.1f} s  "
                f"({run.agent_count:,} agents, {run.pages_fetched} pages)"
            )
            run = agent_sync(trigger="command")
            print(f"  re-sync (nothing changed): {run.duration_ms / 1000:5.1f} s")
        finally:
            sandbox.stop()
            reset_deepcall_client()
        # The sandbox lists 1 agent in 100 as deleted in DeepCall: those never reach the directory.
        listed = Agent.objects.count()
        assert listed == run.agent_count == size - size // 100, (listed, run.agent_count)

        user = User.objects.create_user("bench.supervisor", password="bench-password-1")
        user.groups.add(Role.objects.get(name=SUPERVISOR))
        client = Client(headers={"HX-Request": "true"})
        client.force_login(user)
        group = Group.objects.get(group_id="32")
        # A ledger as after some CAD jobs: every third agent set on, every seventh off.
        now = timezone.now()
        ids = list(Agent.objects.values_list("agent_id", flat=True))
        CadState.objects.bulk_create(
            (
                CadState(agent_id=agent_id, state="on" if n % 3 == 0 else "off", set_at=now)
                for n, agent_id in enumerate(ids)
                if n % 3 == 0 or n % 7 == 0
            ),
            batch_size=2000,
        )
        cases = {
            "first page": {},
            "text search": {"q": "priya"},
            "group + status": {"group": group.group_id, "status": "active"},
            "deep page": {"page": str(size // 25 // 2)},
            "sort by name": {"sort": "name"},
            "sort by -name": {"sort": "-name"},
            "sort by groups": {"sort": "groups"},
            "sort by -hours": {"sort": "-hours"},
            "cad=on": {"cad": "on"},
            "cad=unknown": {"cad": "unknown"},
            "deletion=pending": {"deletion": "pending"},
        }
        failures = 0
        print(f"  table partial, median of {RUNS} (max), target < {TARGET_MS[size]} ms filtered:")
        for label, params in cases.items():

            def fetch(params=params):
                response = client.get("/agents/", params)
                assert response.status_code == 200, response.status_code
                return response

            median, worst = _median_ms(fetch)
            flag = ""
            if label == "group + status" and median > TARGET_MS[size]:
                flag, failures = "  ← over target", failures + 1
            print(f"    {label:<16} {median:7.1f} ms  ({worst:.1f}){flag}")

        def export_all():
            response = client.get("/agents/export.csv")
            rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
            assert rows == listed + 1, rows

        median, worst = _median_ms(export_all, runs=EXPORT_RUNS)
        print(f"  CSV export of every agent, median of {EXPORT_RUNS} (max): ", end="")
        print(f"{median / 1000:.1f} s ({worst / 1000:.1f})")
        return failures


# --- A/B over two work trees -------------------------------------------------------------------

# Alternations per case (each round times one request on each side); BENCH_AB_ROUNDS overrides.
AB_ROUNDS = int(os.environ.get("BENCH_AB_ROUNDS", "20"))
# A new search term on every request (so nothing is cached): "{n}" becomes a running number.
AB_CASES = {
    "first page": {},
    "group + status": {"group": "32", "status": "active"},
    "status + destination + search": {"status": "active", "dest_type": "SIP", "q": "an"},
    "a new search term": {"q": "ab{n}"},
    "deep page": {"page": "{deep}"},
    "sort by -hours": {"sort": "-hours"},
    # The load test's other two kinds of page (bench/loadtest.py).
    "sort by -name, page 100": {"sort": "-name", "page": "100"},
    "on shift on a day, 50 a page": {"day": "2", "on_shift": "yes", "per_page": "50"},
}


# `--ab-pages`: the other list pages, as a manager (full page, then htmx partial).
AB_PAGE_CASES = {
    "schedules": ("/schedules/", {}),
    "schedules, group + status": ("/schedules/", {"group": "32", "status": "active"}),
    "schedules, deep timeline page": ("/schedules/", {"page": "{deep}"}),
    "change history": ("/changes/", {}),
    "change history, new agent search": ("/changes/", {"agent": "ab{n}"}),
}


def _sync_from_sandbox(size: int):
    """One full sync from a sandbox of `size` agents (either tree's sync module)."""
    from django.conf import settings

    from agents.sandbox.server import start_in_thread
    from agents.upstream import reset_deepcall_client

    try:
        from agents.services.read_model_sync import agent_sync
    except ImportError:  # trees before the services were named for their use-cases
        from agents.services.sync import agent_sync
    sandbox = start_in_thread(agents=size)
    try:
        settings.DEEPCALL_API_URL = sandbox.url
        reset_deepcall_client()
        run = agent_sync(trigger="command")
        assert run.outcome == "succeeded", run.message
    finally:
        sandbox.stop()
        reset_deepcall_client()


def _database_of(size: int) -> None:
    """The configured database, migrated and filled by one full sync of `size` agents, served
    with static files as they are in the tree (not collected for a benchmark)."""
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    _sync_from_sandbox(size)


# `--ab` on PostgreSQL and Redis, as `make loadtest` runs, rather than SQLite and local memory:
# BENCH_AB_POSTGRES=postgres://postgres@127.0.0.1:5432 BENCH_AB_REDIS=redis://127.0.0.1:6379.
# Each side gets a database of its own (dropped afterwards) and a Redis database of its own
# (BENCH_AB_REDIS_DB: 13 for A, 14 for B; flushed before and after).
AB_POSTGRES = os.environ.get("BENCH_AB_POSTGRES", "")
AB_REDIS = os.environ.get("BENCH_AB_REDIS", "")


@contextlib.contextmanager
def _ab_database() -> Iterator[dict[str, str]]:
    if not AB_POSTGRES:
        yield {}
        return
    import psycopg

    name = f"directory_ab_{os.getpid()}"
    with psycopg.connect(f"{AB_POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    redis_url = f"{AB_REDIS}/{os.environ['BENCH_AB_REDIS_DB']}" if AB_REDIS else ""
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    try:
        yield {"database_url": f"{AB_POSTGRES}/{name}", "redis_url": redis_url}
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{AB_POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if redis_url:
            redis.Redis.from_url(redis_url).flushdb()


def serve_size(size: int) -> None:
    """Worker of `--ab`: build a database of `size` agents, then answer timing requests read
    from stdin (one JSON object a line: params, htmx) with the milliseconds on stdout."""
    import json

    with tempfile.TemporaryDirectory(prefix="directory-ab-") as tmp, _ab_database() as urls:
        configure(str(Path(tmp) / "bench.sqlite3"), **urls)
        from django.contrib.auth.models import Group as Role
        from django.contrib.auth.models import User
        from django.test import Client

        from agents.roles import MANAGER, SUPERVISOR

        _database_of(size)
        clients = {}
        for role in (SUPERVISOR, MANAGER):
            user = User.objects.create_user(f"bench.{role.lower()}", password="bench-password-1")
            user.groups.add(Role.objects.get(name=role))
            for htmx in (True, False):
                client = Client(headers={"HX-Request": "true"}) if htmx else Client()
                client.force_login(user)
                clients[role, htmx] = client
        print("ready", flush=True)
        for line in sys.stdin:
            ask = json.loads(line)
            role = SUPERVISOR if ask.get("path", "/agents/") == "/agents/" else MANAGER
            client = clients[role, ask["htmx"]]
            started, cpu = time.perf_counter(), time.thread_time()
            response = client.get(ask.get("path", "/agents/"), ask["params"])
            elapsed = (time.perf_counter() - started) * 1000
            cpu_ms = (time.thread_time() - cpu) * 1000
            assert response.status_code == 200, response.status_code
            print(json.dumps([elapsed, cpu_ms]), flush=True)


def run_ab(tree_a: Path, tree_b: Path, size: int, *, pages: bool = False) -> None:
    import json

    sides = {}
    for name, tree, redis_db in (("A", tree_a, "13"), ("B", tree_b, "14")):
        sides[name] = subprocess.Popen(
            [str(tree / ".venv/bin/python"), str(Path(__file__).resolve()), "--serve", str(size)],
            cwd=tree,
            env={**os.environ, "BENCH_ROOT": str(tree), "BENCH_AB_REDIS_DB": redis_db},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    try:
        for process in sides.values():
            assert process.stdout.readline().strip() == "ready"

        def timed(name: str, path: str, params: dict, htmx: bool) -> list[float]:
            process = sides[name]
            ask = {"path": path, "params": params, "htmx": htmx}
            process.stdin.write(json.dumps(ask) + "\n")
            process.stdin.flush()
            return json.loads(process.stdout.readline())

        on = "PostgreSQL" + (" and Redis" if AB_REDIS else "") if AB_POSTGRES else "SQLite"
        print(f"\n{size:,} agents on {on}, A = {tree_a}, B = {tree_b}")
        # Wall time, and in brackets the CPU time of the serving thread: on a shared machine the
        # CPU a request costs moves less with the other processes' load than its wall time.
        print(f"  median of {AB_ROUNDS} alternating (after {WARMUP_RUNS} warm-up), ms [CPU ms]:")
        print(f"  {'case':<31} {'full page A / B, B/A':>32}   {'htmx partial A / B, B/A':>32}")
        counter = 0
        cases = AB_PAGE_CASES if pages else {k: ("/agents/", v) for k, v in AB_CASES.items()}
        # BENCH_AB_CASES="change": only the cases whose name holds it (a tree without a page).
        only = os.environ.get("BENCH_AB_CASES", "")
        cases = {label: case for label, case in cases.items() if only in label}
        for label, (path, template) in cases.items():
            row = []
            for htmx in (False, True):
                times = {"A": [], "B": []}
                cpu = {"A": [], "B": []}
                for round_ in range(WARMUP_RUNS + AB_ROUNDS):
                    counter += 1
                    params = {
                        k: v.format(n=counter, deep=size // 50 // 2)
                        if pages
                        else v.format(n=counter, deep=size // 25 // 2)
                        for k, v in template.items()
                    }
                    order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
                    for name in order:
                        elapsed, cpu_ms = timed(name, path, params, htmx)
                        if round_ >= WARMUP_RUNS:
                            times[name].append(elapsed)
                            cpu[name].append(cpu_ms)
                a, b = statistics.median(times["A"]), statistics.median(times["B"])
                ca, cb = statistics.median(cpu["A"]), statistics.median(cpu["B"])
                row.append(
                    f"{a:5.1f} / {b:5.1f} {b / a:4.2f} [{ca:4.1f} / {cb:4.1f} {cb / ca:4.2f}]"
                )
            print(f"  {label:<31} {row[0]:>32}   {row[1]:>32}", flush=True)
    finally:
        for process in sides.values():
            process.stdin.close()
            process.wait()


# --- a scoped user against an unscoped one -----------------------------------------------------

SCOPE_GROUPS = ("32", "33")  # two of the sandbox's generated groups: a team lead's share
SCOPE_ROUNDS = 25
# (label, path, params, htmx); "{n}" becomes a running number (a new search each request).
SCOPE_CASES = (
    ("directory first page", "/agents/", {}, False),
    ("directory first page", "/agents/", {}, True),
    ("directory group + status", "/agents/", {"group": "32", "status": "active"}, True),
    ("directory a new search term", "/agents/", {"q": "ab{n}"}, True),
    ("directory sort by name", "/agents/", {"sort": "name"}, True),
    ("directory page 40", "/agents/", {"page": "40"}, True),
    ("schedules", "/schedules/", {}, False),
    ("schedules timeline page 2", "/schedules/", {"page": "2"}, True),
    ("change history", "/changes/", {}, False),
    ("change history page 2", "/changes/", {"page": "2"}, True),
    ("change history of a group", "/changes/", {"group": "32"}, True),
)


def _record_one_change_per_agent() -> int:
    """A change history as after months of syncs: one phone change per agent, with its groups."""
    from django.utils import timezone

    from agents.models import Agent, AgentChange

    now = timezone.now()
    groups: dict[int, list[str]] = {}
    for agent_pk, group_id in Agent.groups.through.objects.values_list(
        "agent_id", "group__group_id"
    ):
        groups.setdefault(agent_pk, []).append(group_id)
    rows = (
        AgentChange(
            recorded_at=now,
            agent_id=agent_id,
            agent_name=name,
            kind=AgentChange.Kind.CHANGED,
            field=AgentChange.Field.PHONE,
            before="+91 98450 00000",
            after=phone,
            group_keys=AgentChange.group_keys_for(groups.get(pk, ())),
        )
        for pk, agent_id, name, phone in Agent.objects.values_list(
            "pk", "agent_id", "name", "phone"
        ).iterator()
    )
    return len(AgentChange.objects.bulk_create(rows, batch_size=2000))


def run_scope(size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="directory-scope-") as tmp:
        configure(str(Path(tmp) / "bench.sqlite3"))
        from django.contrib.auth.models import Group as Role
        from django.contrib.auth.models import User
        from django.test import Client

        from agents.roles import SUPERVISOR
        from agents.services.agent_queries import agent_total_count
        from agents.services.team_scopes import team_scope_set
        from agents.team_scope import TeamScope, team_scope_active

        _database_of(size)
        changes = _record_one_change_per_agent()
        scope = TeamScope.of_groups(SCOPE_GROUPS)
        clients = {}
        for name in ("unscoped", "scoped"):
            user = User.objects.create_user(f"bench.{name}", password="bench-password-1")
            user.groups.add(Role.objects.get(name=SUPERVISOR))
            if name == "scoped":
                team_scope_set(user=user, scope=scope)
            clients[name] = {True: Client(headers={"HX-Request": "true"}), False: Client()}
            for client in clients[name].values():
                client.force_login(user)
        with team_scope_active(scope):
            in_scope = agent_total_count()
        print(
            f"\n{size:,} agents ({changes:,} changes recorded); the scoped supervisor has groups "
            f"{', '.join(SCOPE_GROUPS)}: {in_scope:,} agents"
        )
        # Wall time, then the serving thread's CPU time (less moved by other processes' load).
        print(f"  median of {SCOPE_ROUNDS} alternating (after {WARMUP_RUNS} warm-up), ms:")
        print(
            f"  {'case':<38} {'unscoped':>9} {'scoped':>8} {'ratio':>6}"
            f"   {'CPU unscoped':>12} {'scoped':>7} {'ratio':>6}"
        )
        counter = 0
        for label, path, template, htmx in SCOPE_CASES:
            times = {"unscoped": [], "scoped": []}
            cpu = {"unscoped": [], "scoped": []}
            for round_ in range(WARMUP_RUNS + SCOPE_ROUNDS):
                order = ("unscoped", "scoped") if round_ % 2 == 0 else ("scoped", "unscoped")
                for name in order:
                    counter += 1
                    params = {k: v.format(n=counter) for k, v in template.items()}
                    started, cpu_started = time.perf_counter(), time.thread_time()
                    response = clients[name][htmx].get(path, params)
                    elapsed = (time.perf_counter() - started) * 1000
                    cpu_ms = (time.thread_time() - cpu_started) * 1000
                    assert response.status_code == 200, (path, response.status_code)
                    if round_ >= WARMUP_RUNS:
                        times[name].append(elapsed)
                        cpu[name].append(cpu_ms)
            a, b = statistics.median(times["unscoped"]), statistics.median(times["scoped"])
            ca, cb = statistics.median(cpu["unscoped"]), statistics.median(cpu["scoped"])
            kind = "partial" if htmx else "page"
            print(
                f"  {label + ' (' + kind + ')':<38} {a:9.1f} {b:8.1f} {b / a:6.2f}"
                f"   {ca:12.1f} {cb:7.1f} {cb / ca:6.2f}",
                flush=True,
            )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--scope":
        for size in [int(a) for a in sys.argv[2:]] or list(SIZES):
            run_scope(size)
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        return run_size(int(sys.argv[2]))
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve_size(int(sys.argv[2]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] in ("--ab", "--ab-pages"):
        tree_a, tree_b = Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve()
        for size in [int(a) for a in sys.argv[4:]] or list(SIZES):
            run_ab(tree_a, tree_b, size, pages=sys.argv[1] == "--ab-pages")
        return 0
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    failures = 0
    for size in sizes:
        result = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], cwd=ROOT, check=False
        )
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
