"""Change history benchmark: what recording the changes adds to a re-sync of 100,000 agents.

    .venv/bin/python bench/changes_bench.py            # 100,000 agents
    .venv/bin/python bench/changes_bench.py 10000      # another size
    .venv/bin/python bench/changes_bench.py 100000 3   # and fewer runs (default 7)

A fresh temporary SQLite file (production-like settings), one full sync from a sandbox of that
many agents, then the sync's database side (`read_model_write_listing`: diff, writes and, with recording
on, the history) timed on listings fetched once, so DeepCall's paging does not blur the
figure. Each case runs with recording on and with it off (`record_changes=False`, the writer's
public switch: no history entries and no snapshots built for them), alternately, and compares
medians:

- nothing changed: the same listing again; target: recording costs at most 1.1×.
- 1 % changed: the sandbox makes random changes to 1 % of its agents (rename, hours, groups,
  add, remove, pending deletion); the sync applies the changed listing, then the original one
  again (which changes the same agents back), so every timed run changes 1 %; target 1.3×.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

# The same temporary database and production-like settings as the directory benchmark.
from directory_bench import configure

DEFAULT_SIZE = 100_000
RUNS = 7
CHANGED_SHARE = 0.01
TARGETS = {"nothing changed": 1.1, "1 % changed": 1.3}


def _apply_ms(listing, *, record: bool) -> float:
    from django.utils import timezone

    from agents.services.read_model_writer import read_model_write_listing

    started = time.perf_counter()
    read_model_write_listing(listing, now=timezone.now(), record_changes=record)
    return (time.perf_counter() - started) * 1000


def run(size: int, runs: int = RUNS) -> int:
    with tempfile.TemporaryDirectory(prefix="changes-bench-") as tmp:
        configure(str(Path(tmp) / "bench.sqlite3"))
        from django.conf import settings
        from django.core.management import call_command

        from agents.models import AgentChange
        from agents.sandbox.server import start_in_thread
        from agents.services.read_model_sync import agent_sync
        from agents.upstream import get_deepcall_client, reset_deepcall_client

        call_command("migrate", verbosity=0)
        sandbox = start_in_thread(agents=size, page_size=5000)
        try:
            settings.DEEPCALL_API_URL = sandbox.url
            reset_deepcall_client()
            assert agent_sync(trigger="command").outcome == "succeeded"
            original = get_deepcall_client().list_agents()
            changes = round(size * CHANGED_SHARE)
            sandbox.state.mutate({"random": changes})
            changed = get_deepcall_client().list_agents()
        finally:
            sandbox.stop()
            reset_deepcall_client()
        print(f"\n{size:,} agents; {changes:,} random changes for the 1 % case", flush=True)

        times: dict[tuple[str, bool], list[float]] = {}
        for number in range(runs):
            # Alternate which goes first, so a warming cache or a busy neighbour favours neither.
            for record in (True, False) if number % 2 else (False, True):
                times.setdefault(("nothing changed", record), []).append(
                    _apply_ms(original, record=record)
                )
                times.setdefault(("1 % changed", record), []).extend(
                    [_apply_ms(changed, record=record), _apply_ms(original, record=record)]
                )
        entries = AgentChange.objects.count()

        failures = 0
        print(f"  sync's database side, median of {runs} (1 % case: {2 * runs}) runs each:")
        for case, target in TARGETS.items():
            on = statistics.median(times[(case, True)])
            off = statistics.median(times[(case, False)])
            ratio = on / off
            flag = ""
            if ratio > target:
                flag, failures = f"  ← over {target}×", failures + 1
            print(
                f"    {case:<16} without history {off:8.0f} ms, with {on:8.0f} ms: "
                f"{ratio:.2f}× (target ≤ {target}×){flag}"
            )
        print(f"  history entries written by the timed runs: {entries:,}")
        return failures


def main() -> int:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else RUNS
    return 1 if run(size, runs) else 0


if __name__ == "__main__":
    sys.exit(main())
