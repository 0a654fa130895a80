"""The API against its own OpenAPI schema: schemathesis reads the live server's
/api/v1/openapi.json and sends what it generates from it over real HTTP, with a real token (an
Admin's, then a Supervisor's), to the dashboard serving the sandbox's agents. Every answer must
be documented: no 500, a status code the operation lists, the content type, headers and body
its schema gives, valid input accepted and invalid input refused. The stateful phase chains
operations along the links schemathesis infers (an agent id from a list, a job from its
`Location`).

The run is `schemathesis run`, as a reader of the README would start it, bounded and
repeatable: a fixed number of examples per operation, deterministic generation (the same
requests on every run and machine), no example database, no time budget.
"""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from agents.roles import ADMIN, SUPERVISOR
from agents.services.api_tokens import api_token_issue
from tests.fixtures.users import make_user

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# The run's bounds and checks, with the reasons for each (also for a run by hand).
CONFIG = Path(__file__).with_name("schemathesis.toml")


def schemathesis_run(
    live_server, token: str, report: Path, *options: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--no-color",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def live_api(settings, live_server, synced_sandbox):
    # A generated run sends thousands of requests a minute; the rate limit has its own tests.
    settings.API_RATE_LIMIT = 10**6
    return live_server


def operations_of(live_server) -> set[str]:
    schema = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    return {f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item}


# An Admin may use every operation: every phase. A Supervisor's run shows that the operations
# it may not use answer their documented 403 and the rest conform for it too; the coverage
# phase's edge values would only repeat the Admin's.
RUNS = [
    pytest.param("ada.admin", ADMIN, ("coverage", "fuzzing", "stateful"), id="admin"),
    pytest.param("sam.supervisor", SUPERVISOR, ("fuzzing", "stateful"), id="supervisor"),
]


@pytest.mark.parametrize(("username", "role", "phases"), RUNS)
def test_a_token_gets_only_answers_its_schema_documents(
    live_api, django_user_model, tmp_path, username, role, phases
):
    token = api_token_issue(user=make_user(django_user_model, username, role), name="fuzz").token
    report = tmp_path / "events.ndjson"

    run = schemathesis_run(live_api, token, report, "--phases", ",".join(phases))

    assert run.returncode == 0, run.stdout + run.stderr
    events = [json.loads(line) for line in report.read_text().splitlines()]
    finished = {
        event["PhaseFinished"]["phase"]["name"]: event["PhaseFinished"]["status"]
        for event in events
        if "PhaseFinished" in event
    }
    assert {finished[name] for name in phases} == {"success"}, finished
    fuzzed = {
        event["ScenarioFinished"]["recorder"]["label"]
        for event in events
        if event.get("ScenarioFinished", {}).get("phase") == "fuzzing"
    }
    assert fuzzed == operations_of(live_api)
