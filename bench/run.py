"""`make bench`: run every benchmark in turn and print their medians.

Each benchmark is its own script (it sets up its own temporary database and sandbox), so one
can also be run alone: `.venv/bin/python bench/directory_bench.py`.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "sandbox_bench.py",
    "directory_bench.py",
    "sync_bench.py",
    "schedules_bench.py",
    "cad_bench.py",
    "changes_bench.py",
    "api_bench.py",
    "cad_browser_bench.py",
]


def main() -> int:
    selected = sys.argv[1:] or BENCHMARKS
    failures = 0
    for name in selected:
        script = HERE / name
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        print(f"--- {name}: {time.perf_counter() - started:.1f} s, exit {result.returncode}")
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
