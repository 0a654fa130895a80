"""How fast the sandbox makes and serves its agents: CPU time to generate the largest dataset,
and median `Agent/list` agents per second, all pages, real HTTP.

    .venv/bin/python bench/sandbox_bench.py [--runs 5] [--sizes 10000 100000]

The sandbox runs as its own process (`python -m agents.sandbox`), as `make run` starts it, so
the client and the server do not share a GIL; the client fetches every page over one
keep-alive httpx connection, at the sandbox's default page size.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.sandbox import SANDBOX_SSID  # noqa: E402
from agents.sandbox.data import MAX_AGENT_COUNT, build_dataset  # noqa: E402
from agents.sandbox.state import DEFAULT_PAGE_SIZE  # noqa: E402

SIZES = (10_000, 100_000)
RUNS = 5
URL = re.compile(r"DeepCall sandbox at (http://\S+)")


def start_sandbox(
    agents: int, page_size: int, *options: str
) -> tuple[subprocess.Popen, str, float]:
    """The sandbox as its own process (`options`: more flags, e.g. a fault); its URL and how
    long it took to start."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agents.sandbox",
            "--port",
            "0",
            "--agents",
            str(agents),
            "--page-size",
            str(page_size),
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = process.stdout.readline()
    match = URL.search(line)
    if not match:
        process.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return process, match.group(1), time.perf_counter() - started


def fetch_all(client: httpx.Client, url: str) -> int:
    """Every page of Agent/list; returns how many agents came back."""
    count, page = 0, 1
    while True:
        answer = client.post(
            f"{url}/api/v2/Agent/list", json={"ssid": SANDBOX_SSID, "page": page}
        ).json()
        count += len(answer["response"])
        if page >= answer["totalPages"]:
            return count
        page += 1


def bench(agents: int, runs: int, page_size: int) -> dict:
    process, url, startup = start_sandbox(agents, page_size)
    try:
        rates = []
        with httpx.Client(timeout=60) as client:
            for _ in range(runs):
                started = time.perf_counter()
                fetched = fetch_all(client, url)
                elapsed = time.perf_counter() - started
                assert fetched == agents, (fetched, agents)
                rates.append(fetched / elapsed)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    return {
        "agents": agents,
        "startup_s": startup,
        "rates": rates,
        "median": statistics.median(rates),
    }


def generation_cpu_seconds(runs: int) -> list[float]:
    """CPU time (not wall time, so other processes count less) to generate the largest
    dataset the sandbox offers, in this process."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        dataset = build_dataset(MAX_AGENT_COUNT)
        times.append(time.process_time() - started)
        assert len(dataset.agents) == MAX_AGENT_COUNT
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE)
    args = parser.parse_args()
    generation = generation_cpu_seconds(args.runs)
    print(
        f"sandbox data: {MAX_AGENT_COUNT:,} agents generated in a median of "
        f"{statistics.median(generation):.2f} s of CPU "
        f"(runs: {', '.join(f'{t:.2f}' for t in generation)})",
        flush=True,
    )
    print(f"sandbox Agent/list, page size {args.page_size}, {args.runs} runs each (median)")
    for size in args.sizes:
        result = bench(size, args.runs, args.page_size)
        spread = ", ".join(f"{r:,.0f}" for r in result["rates"])
        print(
            f"  {size:>7,} agents: median {result['median']:>9,.0f} agents/s  "
            f"(runs: {spread}; sandbox start {result['startup_s']:.1f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
