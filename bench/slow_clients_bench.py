"""Slow clients cannot take the site: other users' p95 with three slow CSV readers running,
against the p95 without them, on the production setup (gunicorn.conf.py).

Starts the stack `make loadtest` uses (sandbox, DJANGO_DEBUG=0, gunicorn with its config, one
task worker), then alternates phases of LOADTEST_SECONDS each, ROUNDS times: browsing users
alone, then the same with three slow readers, each streaming `/agents/export.csv` at 1 kB/s
(a small receive buffer, 1 kB read a second, as a phone on a bad line would). Each slow reader
of each round is its own supervisor, so the per-user export limit (agents/export_limit.py)
plays no part.

Prints each phase's p95 and the median p95 of each kind of phase, and their ratio (the aim:
within 1.5×). Run with GUNICORN_THREADS=1 to see the setup before issue 31.

Options (environment): LOADTEST_USERS (20), LOADTEST_SECONDS (20), LOADTEST_AGENTS (20000),
SLOW_READERS (3), ROUNDS (3), and gunicorn's own (GUNICORN_THREADS, WEB_CONCURRENCY is 2 here).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import secrets
import socket
import statistics
import sys
import threading
import time

import httpx
from loadtest import (  # bench/ is the script's own directory, first on sys.path
    PASSWORD,
    USERNAME,
    WEB_PROCESSES,
    Stack,
    browse,
    log_in,
    percentile,
    production_stack,
)

USERS = int(os.environ.get("LOADTEST_USERS", "20"))
SECONDS = float(os.environ.get("LOADTEST_SECONDS", "20"))
# Enough rows that the export outlasts a phase at 1 kB/s, whatever the socket buffers hold.
AGENTS = int(os.environ.get("LOADTEST_AGENTS", "20000"))
SLOW_READERS = int(os.environ.get("SLOW_READERS", "3"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
READ_BYTES_PER_S = 1024
# A user who waits this long for a page has given up: the request counts as failed.
CLIENT_TIMEOUT_S = 15
# The reader's receive buffer: small, so the server cannot park the whole file in it.
RECEIVE_BUFFER = 4096


class SlowReader(threading.Thread):
    """One download of the directory's CSV, read at READ_BYTES_PER_S until told to stop."""

    def __init__(self, base: str, cookies: str):
        super().__init__(daemon=True)
        self.host, self.port = re.match(r"http://([^:]+):(\d+)", base).groups()
        self.cookies = cookies
        self.stop = threading.Event()
        self.started_streaming = threading.Event()
        self.status = ""
        self.received = 0

    def run(self) -> None:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.connect((self.host, int(self.port)))
            sock.sendall(
                f"GET /agents/export.csv HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Cookie: {self.cookies}\r\nConnection: close\r\n\r\n".encode()
            )
            while not self.stop.is_set():
                chunk = sock.recv(READ_BYTES_PER_S)
                if not chunk:
                    break
                if not self.received:
                    self.status = chunk.split(b"\r\n", 1)[0].decode(errors="replace")
                    self.started_streaming.set()
                self.received += len(chunk)
                self.stop.wait(1)
        self.started_streaming.set()


def ms(seconds: float) -> str:
    return "none answered" if math.isinf(seconds) else f"{seconds * 1000:5.0f} ms"


async def logged_in_cookies(base: str, username: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        errors: list[str] = []
        ok = await log_in(
            client, base, errors, asyncio.Semaphore(1), username=username, password=password
        )
        if not ok:
            raise SystemExit(f"slow reader {username} could not log in: {errors}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def phase(stack: Stack, clients: list[httpx.AsyncClient]) -> tuple[list[float], list]:
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS
    await asyncio.gather(
        *(browse(c, deadline, latencies, errors, stack.groups, {}) for c in clients)
    )
    return latencies, errors


async def measure(stack: Stack, readers: dict[str, str]) -> dict[str, list[float]]:
    clients = [
        httpx.AsyncClient(base_url=stack.base, timeout=CLIENT_TIMEOUT_S, follow_redirects=False)
        for _ in range(USERS)
    ]
    errors: list[str] = []
    gate = asyncio.Semaphore(WEB_PROCESSES)
    await asyncio.gather(*(log_in(c, stack.base, errors, gate) for c in clients))
    reader_cookies = [
        await logged_in_cookies(stack.base, name, password) for name, password in readers.items()
    ]
    cookies_by_round = [
        reader_cookies[n * SLOW_READERS : (n + 1) * SLOW_READERS] for n in range(ROUNDS)
    ]
    p95s: dict[str, list[float]] = {"without": [], "with": []}
    for round_number in range(1, ROUNDS + 1):
        for kind in ("without", "with"):
            slow = [
                SlowReader(stack.base, cookies) for cookies in cookies_by_round[round_number - 1]
            ]
            if kind == "with":
                for reader in slow:
                    reader.start()
                for reader in slow:
                    reader.started_streaming.wait(30)
            latencies, phase_errors = await phase(stack, clients)
            for reader in slow:
                reader.stop.set()
            for reader in slow if kind == "with" else ():
                reader.join(10)
            # A request that failed (a timeout, a refused connection) waited longer than any
            # that succeeded: it counts, as the slowest, rather than being left out.
            waits = latencies + [math.inf] * len(phase_errors)
            p95 = percentile(waits, 95) if waits else math.inf
            p95s[kind].append(p95)
            readers_said = (
                f", slow readers: {', '.join(sorted({r.status for r in slow}))}, "
                f"{sum(r.received for r in slow) / 1024:.0f} kB read in all"
                if kind == "with"
                else ""
            )
            print(
                f"round {round_number} {kind:>7} slow readers: {len(waits):5d} requests, "
                f"p50 {ms(percentile(waits, 50) if waits else math.inf)}, p95 {ms(p95)}, "
                f"errors {len(phase_errors)}{readers_said}",
                flush=True,
            )
            errors += phase_errors
            # Let the server notice the readers left (their exports end with a broken pipe).
            await asyncio.sleep(2)
    for client in clients:
        await client.aclose()
    if errors:
        print(f"errors: {len(errors)}, e.g. {errors[:5]}")
    return p95s


def main() -> int:
    readers = {
        f"slow-reader-{n}": "slow-" + secrets.token_hex(8) for n in range(SLOW_READERS * ROUNDS)
    }
    threads = os.environ.get("GUNICORN_THREADS", "gunicorn.conf.py's default")
    with production_stack(agents=AGENTS, supervisors={USERNAME: PASSWORD, **readers}) as stack:
        print(
            f"{USERS} users browsing, {SLOW_READERS} slow readers at {READ_BYTES_PER_S} B/s, "
            f"{ROUNDS} rounds of {SECONDS:.0f} s each way, {WEB_PROCESSES} web processes, "
            f"threads: {threads}, {AGENTS:,} agents, database {stack.env['DATABASE_URL'][:8]}…",
            flush=True,
        )
        p95s = asyncio.run(measure(stack, readers))
    without, with_slow = statistics.median(p95s["without"]), statistics.median(p95s["with"])
    print(
        f"\nmedian p95 without slow readers {ms(without)}, with {SLOW_READERS}: {ms(with_slow)}, "
        f"ratio {with_slow / without:.2f}× (aim: within 1.5×)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
