"""What users go through during each fault of a real deployment, in figures.

Starts the production processes as the Procfile says (tests/fixtures/deployment.py: gunicorn ×2
and one worker, DJANGO_DEBUG=0, PostgreSQL, a redis-server of its own, the sandbox answering
CAD calls in 600 ms), has USERS admins browse all along (a page, a pause of THINK_S, the next
page) and, for each fault, prints the requests served and failed while it lasts and the seconds
until a CAD job that was running makes progress again (or leaves Running, for a stalling
DeepCall).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/fault_bench.py
    ... bench/fault_bench.py --root /path/to/other/checkout   # the same faults on other code

Faults: Redis stopped for REDIS_OUTAGE_S then started empty; the worker killed (SIGKILL) and
restarted at once; the worker sent SIGTERM (a deploy) and restarted; every database connection
cut; DeepCall not answering (longer than the read timeout), then Retry failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.deployment import AdminBrowser, Deployment

USERS = 4
THINK_S = 0.25
PAGES = ["/", "/agents/", "/agents/?status=active", "/schedules/", "/cad/"]
REDIS_OUTAGE_S = 15.0
# A fault's window for the request counts once its trigger is done (kill, cut): long enough to
# show the recovery, short enough to keep the run within minutes.
WINDOW_S = 10.0
# Beyond this a job has not resumed "in seconds": reported as such rather than waited out (the
# old code waits for a 5-minute lease).
RESUME_CAP_S = 60.0


class Rows(list):
    """The figures, each printed as soon as it is known (a later fault may end the run)."""

    def append(self, row: tuple[str, int, int, str]) -> None:
        super().append(row)
        name, served, failed, job = row
        print(f"{name:<28} {served:>7} {failed:>7}  {job}", flush=True)


class Browsing:
    """USERS admins clicking through PAGES; counts answers per time window."""

    def __init__(self, deployment: Deployment):
        self.browsers = [AdminBrowser(deployment) for _ in range(USERS)]
        self.answers: list[tuple[float, bool]] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._browse, args=(browser, n), daemon=True)
            for n, browser in enumerate(self.browsers)
        ]

    def _browse(self, browser: AdminBrowser, n: int) -> None:
        i = n
        while not self.stop.is_set():
            url = PAGES[i % len(PAGES)]
            i += 1
            try:
                response = browser.get(url, timeout=10)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            self.answers.append((time.monotonic(), ok))
            time.sleep(THINK_S)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def counts(self, start: float, end: float) -> tuple[int, int]:
        window = [ok for at, ok in list(self.answers) if start <= at <= end]
        return sum(window), len(window) - sum(window)


def seconds_until_progress(admin: AdminBrowser, job: str, since: float, done_before: int):
    deadline = since + RESUME_CAP_S
    while time.monotonic() < deadline:
        try:
            progress = admin.progress(job)
            if progress.done > done_before or progress.finished:
                return time.monotonic() - since
        except (httpx.HTTPError, AssertionError):
            pass
        time.sleep(0.1)
    return None


def job_under_way(admin: AdminBrowser, deployment: Deployment, ids, action) -> tuple[str, int]:
    job = admin.start_job(ids, action=action)
    while (progress := admin.progress(job)).done < 40 and not progress.finished:
        time.sleep(0.1)
    return job, admin.progress(job).done


def run(root: Path) -> list[tuple[str, int, int, str]]:
    deployment = Deployment(os.environ["DATABASE_URL"], root=root, suffix="_fault_bench")
    rows = Rows()
    deployment.start()
    try:
        admin = AdminBrowser(deployment)
        browsing = Browsing(deployment)
        browsing.start()
        ids = deployment.agent_ids(400)
        action = iter(["enable", "disable"] * 10)

        # Redis stopped for REDIS_OUTAGE_S, then started empty; a job started during it.
        # Each fault's job has agents of its own: an old worker's job may still hold its agents.
        job, done = job_under_way(admin, deployment, ids[:100], next(action))
        start = time.monotonic()
        deployment.redis.stop()
        resumed = seconds_until_progress(admin, job, start, done)
        try:
            during = admin.start_job(ids[100:160], action="enable")
            started = f"job started during it: {admin.wait_for_job(during).status}"
        except (AssertionError, httpx.HTTPError) as exc:
            started = f"job could not be started ({str(exc)[:40]})"
        time.sleep(max(0.0, start + REDIS_OUTAGE_S - time.monotonic()))
        deployment.redis.start()
        served, failed = browsing.counts(start, time.monotonic())
        rows.append(
            (f"Redis stopped {REDIS_OUTAGE_S:.0f} s", served, failed, f"{_s(resumed)}; {started}")
        )
        admin.wait_for_job(job)

        # The worker killed mid-job; the process manager starts it again at once.
        job, done = job_under_way(admin, deployment, ids[160:260], next(action))
        start = time.monotonic()
        deployment.kill_worker()
        deployment.worker = deployment._spawn(["bash", "-c", _procfile(deployment, "worker")])
        resumed = seconds_until_progress(admin, job, start, done)
        finished = _finish(admin, job, since=start)
        served, failed = browsing.counts(start, start + WINDOW_S)
        rows.append(("worker SIGKILL, restarted", served, failed, f"{_s(resumed)}; {finished}"))

        # A deploy: SIGTERM, then the new worker.
        job, done = job_under_way(admin, deployment, ids[260:360], next(action))
        start = time.monotonic()
        deployment.worker.terminate()
        try:
            code = deployment.worker.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker that ignores SIGTERM: reported, then killed
            code = "none in 30 s"
            deployment.kill_worker()
        exited = time.monotonic() - start
        deployment.worker = deployment._spawn(["bash", "-c", _procfile(deployment, "worker")])
        resumed = seconds_until_progress(admin, job, start, admin.progress(job).done)
        finished = _finish(admin, job, since=start)
        served, failed = browsing.counts(start, start + WINDOW_S)
        rows.append(
            (
                "worker SIGTERM, restarted",
                served,
                failed,
                f"{_s(resumed)}; exit {code} after {exited:.1f} s; {finished}",
            )
        )

        # Every database connection cut.
        job, done = job_under_way(admin, deployment, ids[:100], next(action))
        start = time.monotonic()
        deployment.cut_database_connections()
        resumed = seconds_until_progress(admin, job, start, done)
        time.sleep(max(0.0, start + WINDOW_S - time.monotonic()))
        served, failed = browsing.counts(start, start + WINDOW_S)
        alive = "worker alive" if deployment.worker.poll() is None else "worker exited"
        try:
            after = admin.start_job(ids[360:400], action=next(action))
            queued = admin.wait_for_job(after).status
        except AssertionError:
            queued = "never ran"
        rows.append(
            (
                "database connections cut",
                served,
                failed,
                f"{_s(resumed)}; {alive}; job queued after: {queued}",
            )
        )
        _finish(admin, job)

        # DeepCall stops answering (longer than the read timeout), with a worker running.
        if deployment.worker.poll() is not None:
            deployment.worker = deployment._spawn(["bash", "-c", _procfile(deployment, "worker")])
        deployment.deepcall_faults(hang_rate=1.0, hang_seconds=30)
        start = time.monotonic()
        job = admin.start_job(ids[100:160], action=next(action))
        try:
            stalled = admin.wait_for_job(job)
        except AssertionError:
            served, failed = browsing.counts(start, time.monotonic())
            rows.append(("DeepCall stalls", served, failed, "job never left Running"))
        else:
            left_running = time.monotonic() - start
            served, failed = browsing.counts(start, time.monotonic())
            deployment.deepcall_faults()
            retry = admin.retry_failed(job) if stalled.status != "Succeeded" else None
            retried = admin.wait_for_job(retry).status if retry else "-"
            outcome = f"left Running after {left_running:.1f} s ({stalled.status})"
            rows.append(("DeepCall stalls", served, failed, f"{outcome}; Retry failed: {retried}"))
        browsing.stop.set()
    finally:
        deployment.stop()
    return rows


def _procfile(deployment: Deployment, name: str) -> str:
    from tests.fixtures.deployment import procfile_command

    return procfile_command(name, deployment.root)


def _finish(admin: AdminBrowser, job: str, *, since: float | None = None) -> str:
    """Wait for the job to end; say after how long (from `since`)."""
    try:
        admin.wait_for_job(job)
    except AssertionError:
        return "job still Running when the run gave up waiting"
    return f"finished after {time.monotonic() - since:.1f} s" if since else "finished"


def _s(seconds: float | None) -> str:
    return (
        f"resumed after {seconds:.1f} s"
        if seconds is not None
        else (f"not resumed within {RESUME_CAP_S:.0f} s")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("fault_bench: set DATABASE_URL to a PostgreSQL server (its own database is made)")
        return 2
    rows = run(args.root.resolve())
    print(f"\nfaults on {args.root.resolve()} ({USERS} admins browsing):")
    print(f"{'fault':<28} {'served':>7} {'failed':>7}  job")
    for name, served, failed, job in rows:
        print(f"{name:<28} {served:>7} {failed:>7}  {job}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
