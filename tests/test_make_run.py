"""`make run`'s script starts the dashboard, the sandbox and the worker; Ctrl-C stops them."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def running_dashboard(tmp_path):
    web_port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEEPCALL_"))}
    env.update(
        DASHBOARD_PORT=str(web_port),
        DEEPCALL_SANDBOX_PORT=str(sandbox_port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        ["scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, web_port, sandbox_port, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_run_script_serves_the_dashboard_and_stops_on_ctrl_c(running_dashboard):
    process, web_port, sandbox_port, log = running_dashboard
    base = f"http://127.0.0.1:{web_port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            # honcho starts the sandbox and the web server side by side: either may be last.
            healthy = httpx.get(f"{base}/healthz/", timeout=2).status_code == 200
            if healthy and port_open(sandbox_port):
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "make run's script exited early"
        time.sleep(0.5)
    else:
        log.seek(0)
        pytest.fail("the dashboard did not answer in time:\n" + log.read()[-3000:])

    login_page = httpx.get(f"{base}/accounts/login/", timeout=5)
    assert login_page.status_code == 200
    assert "Log in to the DeepCall dashboard" in login_page.text
    # Single sign-on is wired to the sandbox's identity provider, which answers discovery.
    assert "Sign in with the sandbox&#x27;s identity provider" in login_page.text
    sandbox = httpx.post(
        f"http://127.0.0.1:{sandbox_port}/api/v2/Agent/list", json={"ssid": "sandbox-ssid"}
    )
    assert sandbox.json()["status"] == "success"
    discovery = httpx.get(
        f"http://127.0.0.1:{sandbox_port}/oidc/.well-known/openid-configuration", timeout=5
    )
    assert discovery.json()["issuer"] == f"http://127.0.0.1:{sandbox_port}/oidc"

    log.seek(0)
    printed = log.read()
    assert f"http://127.0.0.1:{web_port}/" in printed
    assert "admin / admin-demo" in printed
    assert "supervisor / supervisor-demo" in printed
    assert "authenticator key GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in printed

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    process.wait(timeout=30)
    time.sleep(0.5)
    assert not port_open(web_port)
    assert not port_open(sandbox_port)
