"""`.ci/run` sets CI=1 itself: under CI a missing Chromium fails the browser tests, never skips."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_run_sets_ci_for_every_make_target(tmp_path):
    # A stand-in `make` that records the CI variable each target would see.
    record = tmp_path / "seen"
    fake_make = tmp_path / "make"
    fake_make.write_text(f'#!/bin/sh\necho "$1 CI=${{CI:-}}" >> {record}\n')
    fake_make.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = f"{tmp_path}:{env['PATH']}"
    subprocess.run([str(ROOT / ".ci" / "run")], env=env, check=True, timeout=30)
    assert record.read_text().splitlines() == ["test CI=1", "test-scaleout CI=1"]


def test_the_fault_suite_is_deselected_not_skipped_without_postgresql():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "tests/faults"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert "deselected" in summary
    assert "skipped" not in summary
