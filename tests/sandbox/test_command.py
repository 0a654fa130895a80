"""Running the sandbox as its own process: `manage.py deepcall_sandbox` and `-m agents.sandbox`."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"DeepCall sandbox at (http://\S+)")


def run_sandbox(*args: str, env: dict | None = None):
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    banner = "".join(process.stdout.readline() for _ in range(4))
    match = URL.search(banner)
    if not match:
        process.kill()
        pytest.fail(f"no URL in {banner!r}: {process.stdout.read()}")
    process.banner = banner
    return process, match.group(1)


def stop(process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=10)
    return process.returncode, output


def test_command_refuses_to_run_without_debug_unless_enabled(settings, monkeypatch):
    settings.DEBUG = False
    settings.DEEPCALL_SANDBOX_ENABLED = False
    monkeypatch.delenv("DEEPCALL_SANDBOX_ENABLED", raising=False)
    with pytest.raises(CommandError, match="DEEPCALL_SANDBOX_ENABLED"):
        call_command("deepcall_sandbox", "--port", "0")


def test_command_serves_the_published_curl_example_and_stops_on_sigterm():
    process, url = run_sandbox(
        "manage.py",
        "deepcall_sandbox",
        "--port",
        "0",
        "--agents",
        "50",
        "--page-size",
        "20",
        env={"DJANGO_DEBUG": "1"},
    )
    try:
        # As `curl --data-raw` sends it: a form content type, the JSON as the raw body.
        response = httpx.post(
            f"{url}/api/v2/Agent/list",
            content=b'{"ssid":"sandbox-ssid"}',
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = response.json()
        assert (answer["totalRecords"], answer["totalPages"]) == (50, 3)
    finally:
        code, output = stop(process)
    assert code == 0
    assert "sandbox-ssid" in process.banner and "sandbox-token" in process.banner
    assert "stopped" in output


def test_module_runs_without_django_and_takes_fault_flags():
    process, url = run_sandbox(
        "-m",
        "agents.sandbox",
        "--port",
        "0",
        "--agents",
        "10",
        "--map-shape",
        "--fail-cad",
        "5:1501:Data already in processing",
        "--deny",
        "unsetCad",
    )
    try:
        listing = httpx.post(f"{url}/api/v2/Agent/list", json={"ssid": "sandbox-ssid"}).json()
        assert listing["response"]["2"]["nm"] == "bhawesh"
        cad = httpx.post(
            f"{url}/api/v2/Agent/setCad", json={"ssid": "sandbox-ssid", "agentIds": ["5"]}
        ).json()
        assert cad["data"]["errors"] == [
            {"agentId": "5", "message": "Data already in processing", "code": 1501}
        ]
        denied = httpx.post(
            f"{url}/api/v2/Agent/unsetCad", json={"ssid": "sandbox-ssid", "agentIds": ["5"]}
        ).json()
        assert denied["code"] == 1015
    finally:
        code, _ = stop(process)
    assert code == 0
