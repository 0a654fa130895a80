"""The README's API examples, run as written: every ```sh block of its "API" section, in order,
in one bash (`set -euo pipefail`), against a live server with the sandbox's agents and an
Admin's token; `curl -f` makes any refused request fail the run. An example followed by a
```json block must answer exactly that. So the docs cannot drift from the API."""

import json
import os
import re
import subprocess
from pathlib import Path

from agents.models import Agent
from agents.roles import ADMIN
from agents.services.api_tokens import api_token_issue
from tests.fixtures.users import make_user

README = Path(__file__).resolve().parents[2] / "README.md"
README_GROUP = "32"  # the group the examples use (the sandbox's "Support")
EXAMPLE = re.compile(r"^```sh\n(.*?)^```\n(?:\n```json\n(.*?)^```\n)?", flags=re.S | re.M)


def readme_api_examples() -> list[tuple[str, str]]:
    """(shell, the JSON shown as its answer or "") for each example of the API section."""
    section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    return EXAMPLE.findall(section)


def bash(script: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_api_example_in_the_readme_works_as_written(
    live_server, synced_sandbox, django_user_model
):
    token = api_token_issue(user=make_user(django_user_model, "admin", ADMIN), name="readme").token
    env = {"API": f"{live_server.url}/api/v1", "TOKEN": token}
    # One agent of the examples' filter fails, so the job has a failure to read and retry.
    busy = Agent.objects.filter(groups__group_id=README_GROUP, is_active=True).first()
    synced_sandbox.set_faults(cad_failures={busy.agent_id: "Agent is busy"})
    examples = readme_api_examples()
    assert len(examples) >= 7

    run = bash("\n".join(shell for shell, _ in examples), env)

    assert run.returncode == 0, run.stdout + run.stderr
    assert '"failed": 1' in run.stdout  # the job as the README follows it
    for shell, shown in examples:
        if shown:
            answer = bash(shell, env)
            assert json.loads(answer.stdout) == json.loads(shown), shell
