"""`make loadtest`: many supervisors at once against a production-like setup on this machine.

Starts the sandbox (10,000 agents), migrates a fresh database, syncs, and serves the dashboard
with gunicorn (2 processes) and one task worker, all with DJANGO_DEBUG=0. Then 50 concurrent
users browse, search and filter for 60 s, each starting at a random point of one think time.
Prints requests per second, p50/p95/p99 and errors (and p50/p95/max for each kind of page), the
CPU each part of the machine used, and the peak memory (VmHWM) of each web process. Every
request goes to 127.0.0.1 only, and the run stops by itself.

Options (environment): LOADTEST_USERS (50), LOADTEST_SECONDS (60), LOADTEST_AGENTS (10000),
DATABASE_URL / REDIS_URL to run against PostgreSQL and Redis instead of SQLite and local memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REDIS = bool(os.environ.get("REDIS_URL"))
USERS = int(os.environ.get("LOADTEST_USERS", "50"))
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "60"))
AGENTS = int(os.environ.get("LOADTEST_AGENTS", "10000"))
WEB_PROCESSES = 2
USERNAME, PASSWORD = "loadtest-supervisor", "loadtest-" + secrets.token_hex(8)
# A person reads a page before the next click; "0-0" makes every user click without pause.
THINK_S = tuple(float(x) for x in os.environ.get("LOADTEST_THINK_S", "0.5-1.5").split("-"))
SEARCH_TERMS = ["an", "sh", "ra", "kumar", "singh", "91", "@", "priya", "zz-no-match"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"loadtest: {url} did not answer within {timeout:.0f} s")


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far; None once it has exited (gunicorn
    recycles a worker after max_requests)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (all cores, every process), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(p) for p in out.split()]


async def log_in(
    client: httpx.AsyncClient,
    base: str,
    errors: list,
    gate: asyncio.Semaphore,
    *,
    username: str = USERNAME,
    password: str = PASSWORD,
) -> bool:
    """Log one user in. A few at a time, as people arrive: each login hashes the password
    (PBKDF2, deliberately about half a second of CPU here), and fifty at once would only
    measure that."""
    async with gate:
        try:
            page = await client.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            response = await client.post(
                "/accounts/login/",
                data={"username": username, "password": password, "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/accounts/login/"},
            )
        except (httpx.HTTPError, AttributeError) as exc:
            errors.append(f"login {type(exc).__name__}")
            return False
    if response.status_code != 302:
        errors.append(f"login {response.status_code}")
        return False
    return True


async def browse(
    client: httpx.AsyncClient,
    deadline: float,
    latencies: list,
    errors: list,
    groups: list,
    by_page: dict[str, list[float]],
) -> None:
    """One supervisor: a page, a look at it (THINK_S), the next page, until the deadline."""
    rng = random.Random()
    # People already at work are each somewhere in their reading, not all clicking at the
    # same instant: fifty first requests at once would only measure that one queue.
    await asyncio.sleep(rng.uniform(0, THINK_S[1]))
    while time.monotonic() < deadline:
        choice = rng.random()
        headers = {"HX-Request": "true"} if rng.random() < 0.7 else {}
        if choice < 0.25:
            page, url = "directory", "/agents/"
        elif choice < 0.5:
            page, url = "search", f"/agents/?q={rng.choice(SEARCH_TERMS)}"
        elif choice < 0.7:
            page = "group filter"
            url = f"/agents/?group={rng.choice(groups)}&status=active" if groups else "/agents/"
        elif choice < 0.8:
            page = "page and sort"
            url = f"/agents/?page={rng.randint(2, 200)}&sort={rng.choice(['name', '-name'])}"
        elif choice < 0.9:
            page, url = "on shift", f"/agents/?day={rng.randint(0, 6)}&on_shift=yes&per_page=50"
        else:
            page, url = "schedules", "/schedules/"
        page += " (htmx)" if headers else " (full page)"
        started = time.perf_counter()
        try:
            response = await client.get(url, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                errors.append(f"{url} -> {response.status_code}")
            else:
                latencies.append(elapsed)
                by_page.setdefault(page, []).append(elapsed)
        except httpx.HTTPError as exc:
            errors.append(f"{url} -> {type(exc).__name__}")
        await asyncio.sleep(rng.uniform(*THINK_S))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Stack:
    """The production-like setup a load test runs against."""

    base: str
    env: dict
    web: subprocess.Popen
    worker: subprocess.Popen
    sandbox: subprocess.Popen
    groups: list[str]


@contextlib.contextmanager
def production_stack(*, agents: int, supervisors: dict[str, str]) -> Iterator[Stack]:
    """Sandbox with `agents` agents, a migrated and synced database, gunicorn as the Procfile
    runs it (gunicorn.conf.py) and one task worker, all with DJANGO_DEBUG=0, on free ports of
    127.0.0.1; `supervisors` (username: password) exist. Everything stops on leaving."""
    tmp = Path(tempfile.mkdtemp(prefix="deepcall-loadtest-"))
    web_port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",  # plain HTTP on 127.0.0.1: no TLS to carry secure cookies
        "DEEPCALL_SANDBOX_ENABLED": "1",
        "DEEPCALL_SANDBOX_PORT": str(sandbox_port),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp / 'load.sqlite3'}"),
        "PORT": str(web_port),
        "WEB_CONCURRENCY": str(WEB_PROCESSES),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen] = []
    log = (tmp / "servers.log").open("w")
    try:
        sandbox = subprocess.Popen(
            [PY, "manage.py", "deepcall_sandbox", f"--port={sandbox_port}", f"--agents={agents}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        processes.append(sandbox)
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        manage(
            env,
            "shell",
            "-v",
            "0",
            "-c",
            (
                "from django.contrib.auth.models import Group, User;"
                "role = Group.objects.get(name='Supervisor');"
                + "".join(
                    f"User.objects.create_user({name!r}, password={password!r}).groups.add(role);"
                    for name, password in supervisors.items()
                )
            ),
        )
        wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/state")
        started = time.perf_counter()
        manage(env, "sync_agents")
        print(f"sync of {agents:,} agents: {time.perf_counter() - started:.1f} s")
        web = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "dashboard.wsgi", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        processes.append(web)
        worker = subprocess.Popen(
            [PY, "manage.py", "task_worker", "--queue-name=*", "--interval=1"],  # as Procfile
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        processes.append(worker)
        base = f"http://127.0.0.1:{web_port}"
        wait_for(f"{base}/healthz/")

        groups = subprocess.run(
            [
                PY,
                "manage.py",
                "shell",
                "-v",
                "0",  # no "objects imported" banner mixed into the ids
                "-c",
                "from agents.models import Group; print(' '.join(Group.objects.values_list("
                "'group_id', flat=True)[:20]))",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        yield Stack(base, env, web, worker, sandbox, groups)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()  # gunicorn's master stops its own workers on SIGTERM
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def main() -> int:
    with production_stack(agents=AGENTS, supervisors={USERNAME: PASSWORD}) as stack:
        return run_load(stack)


def run_load(stack: Stack) -> int:
    base, env, web, groups = stack.base, stack.env, stack.web, stack.groups
    latencies: list[float] = []
    by_page: dict[str, list[float]] = {}
    errors: list[str] = []
    web_pids = child_pids(web.pid)
    helper_pids = {"worker": stack.worker.pid, "sandbox": stack.sandbox.pid}
    measured: dict[str, float] = {}

    async def run_all():
        clients = [
            httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False)
            for _ in range(USERS)
        ]
        # Logging in hashes a password (deliberately slow): done before the clock starts.
        gate = asyncio.Semaphore(WEB_PROCESSES)
        await asyncio.gather(*(log_in(c, base, errors, gate) for c in clients))
        cpu_before = {pid: cpu_seconds(pid) for pid in web_pids}
        helpers_before = {name: cpu_seconds(pid) for name, pid in helper_pids.items()}
        machine_before = machine_busy_seconds()
        client_before = time.process_time()
        started = time.perf_counter()
        deadline = time.monotonic() + SECONDS
        await asyncio.gather(
            *(browse(c, deadline, latencies, errors, groups, by_page) for c in clients)
        )
        measured["elapsed"] = time.perf_counter() - started
        measured["client_cpu"] = time.process_time() - client_before
        after = {p: cpu_seconds(p) for p in web_pids}
        measured["web_cpu"] = sum(after[p] - cpu_before[p] for p in web_pids if after[p])
        measured["recycled"] = sum(after[p] is None for p in web_pids)
        measured["machine_cpu"] = machine_busy_seconds() - machine_before
        for name, pid in helper_pids.items():
            measured[f"{name}_cpu"] = (cpu_seconds(pid) or 0) - (helpers_before[name] or 0)
        # The heaviest page for memory: every agent as CSV, streamed by one process.
        export_started = time.perf_counter()
        export = await clients[0].get("/agents/export.csv")
        measured["export_s"] = time.perf_counter() - export_started
        measured["export_rows"] = export.text.count("\n") - 1
        for client in clients:
            await client.aclose()

    asyncio.run(run_all())
    elapsed, client_cpu, web_cpu = (
        measured["elapsed"],
        measured["client_cpu"],
        measured["web_cpu"],
    )

    count = len(latencies)
    print(
        f"\n{USERS} users for {SECONDS:.0f} s (think time {THINK_S[0]:g}-{THINK_S[1]:g} s), "
        f"{WEB_PROCESSES} web processes, {AGENTS:,} agents, "
        f"database {env['DATABASE_URL'].split(':')[0]}, cache {'redis' if REDIS else 'local'}"
    )
    print(f"requests: {count + len(errors)}  ({(count + len(errors)) / elapsed:.1f}/s)")
    if count:
        print(
            f"p50 {percentile(latencies, 50) * 1000:.0f} ms   "
            f"p95 {percentile(latencies, 95) * 1000:.0f} ms   "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms   "
            f"mean {statistics.fmean(latencies) * 1000:.0f} ms"
        )
    print(f"errors: {len(errors)}" + (f"  e.g. {errors[:5]}" if errors else ""))
    for page, values in sorted(by_page.items()):
        print(
            f"  {page:<28} {len(values):5d} requests   "
            f"p50 {percentile(values, 50) * 1000:4.0f} ms   "
            f"p95 {percentile(values, 95) * 1000:4.0f} ms   "
            f"max {max(values) * 1000:5.0f} ms"
        )
    if measured["recycled"]:
        print(
            f"({measured['recycled']} web worker(s) recycled by gunicorn's max_requests "
            "during the run: their CPU time is not counted below)"
        )
    cores = os.cpu_count() or 1
    others = measured["machine_cpu"] - web_cpu - client_cpu
    others -= measured["worker_cpu"] + measured["sandbox_cpu"]
    print(
        f"CPU used: {measured['machine_cpu']:.1f} of {cores * elapsed:.0f} core-seconds "
        f"({cores} cores): web processes {web_cpu:.1f} s "
        f"({web_cpu / max(count, 1) * 1000:.0f} ms per request), "
        f"task worker {measured['worker_cpu']:.1f} s, sandbox {measured['sandbox_cpu']:.1f} s, "
        f"this load generator {client_cpu:.1f} s, everything else "
        f"(database, cache, system) {others:.1f} s"
    )
    print(
        f"CSV export of all agents: {measured['export_rows']:,} rows in "
        f"{measured['export_s']:.1f} s"
    )
    for pid in child_pids(web.pid):
        print(f"web process {pid}: peak memory {peak_rss_mb(pid):.0f} MB")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
