"""The directory sync: wall time of `manage.py sync_agents` against the sandbox, and its memory.

    .venv/bin/python bench/sync_bench.py [--runs 3] [--only NAME ...]

Four cases, the ones the sync's speed targets are set for: a first sync of 10,000 and of 100,000 agents with 150 ms
per answer (the sandbox's latency fault, 200 agents a page, as a real DeepCall over the
internet), and of 100,000 agents without latency: a first sync into an empty database and a
re-sync with nothing changed. The sandbox runs as its own process (`python -m agents.sandbox`)
and each sync is a fresh `manage.py sync_agents` process on a temporary SQLite database, so a
figure is what an operator waits for, Django's start-up included. Peak memory is that process's
maximum resident set size; its CPU time (user + system, median) is printed too, the fairer
figure to compare on a machine other work shares (the sandbox's own CPU is not in it).
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox_bench import start_sandbox

ROOT = Path(__file__).resolve().parents[1]
PAGE_SIZE = 200
RUNS = 3


@dataclass(frozen=True)
class Case:
    name: str
    agents: int
    latency_ms: int
    resync: bool  # time a second sync of unchanged data rather than the first
    target_s: float


CASES = (
    Case("10k-150ms", 10_000, 150, resync=False, target_s=3.0),
    Case("100k-150ms", 100_000, 150, resync=False, target_s=30.0),
    Case("100k-first", 100_000, 0, resync=False, target_s=12.0),
    Case("100k-resync", 100_000, 0, resync=True, target_s=6.0),
)


def manage(env: dict[str, str], *args: str) -> tuple[float, int, str, float]:
    """Run one manage.py command; (wall seconds, peak RSS in MB, its output, CPU seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{output}")
    return elapsed, usage.ru_maxrss // 1024, output.strip(), usage.ru_utime + usage.ru_stime


def bench(case: Case, runs: int, workdir: Path) -> None:
    sandbox, url, _ = start_sandbox(case.agents, PAGE_SIZE, "--latency-ms", str(case.latency_ms))
    try:
        # Started as a deployed process starts: with Python's bytecode cache (the migrate below
        # fills it), which a developer's PYTHONDONTWRITEBYTECODE would turn into seconds of
        # compiling before every sync.
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "DEEPCALL_SANDBOX_URL": url,
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        template = workdir / f"{case.name}-empty.sqlite3"
        manage({**env, "DATABASE_URL": f"sqlite:///{template}"}, "migrate", "-v0")
        seconds, memory, cpu = [], [], []
        for run in range(runs):
            database = workdir / f"{case.name}-{run}.sqlite3"
            shutil.copy(template, database)
            run_env = {**env, "DATABASE_URL": f"sqlite:///{database}"}
            if case.resync:
                manage(run_env, "sync_agents")
            elapsed, peak_mb, output, cpu_seconds = manage(run_env, "sync_agents")
            seconds.append(elapsed)
            memory.append(peak_mb)
            cpu.append(cpu_seconds)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        median = statistics.median(seconds)
        kind = "re-sync, nothing changed" if case.resync else "first sync"
        latency = f"{case.latency_ms} ms per answer" if case.latency_ms else "no latency"
        print(
            f"  {case.agents:>7,} agents, {latency}, {kind}: median {median:.1f} s "
            f"(runs: {', '.join(f'{s:.1f}' for s in seconds)}; peak {max(memory)} MB; "
            f"CPU of the sync process {statistics.median(cpu):.1f} s); "
            f"target <= {case.target_s:g} s -> {'met' if median <= case.target_s else 'MISSED'}",
            flush=True,
        )
        print(f"      last run: {output.splitlines()[-1]}", flush=True)
    finally:
        sandbox.send_signal(signal.SIGTERM)
        sandbox.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--only", nargs="+", choices=[c.name for c in CASES])
    args = parser.parse_args()
    concurrency = os.environ.get("DEEPCALL_LIST_CONCURRENCY", "4")
    print(
        f"manage.py sync_agents against the sandbox, {PAGE_SIZE} agents a page, "
        f"DEEPCALL_LIST_CONCURRENCY={concurrency}, SQLite, {args.runs} runs each (median)"
    )
    workdir = Path(tempfile.mkdtemp(prefix="deepcall-sync-bench-"))
    try:
        for case in CASES:
            if args.only and case.name not in args.only:
                continue
            bench(case, args.runs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
