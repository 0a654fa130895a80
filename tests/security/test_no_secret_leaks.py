"""No agent's password or call password gets past the service boundary.

After a full sync of the sandbox, browsing every page as each role, exporting CSV and running
CAD jobs, every secret value of every agent is searched for in every response body, every log
line, every cache entry and every row of every database table.
"""

import logging
import pickle

import httpx
import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from agents import services
from agents.models import CadJob

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Secrets shorter than this would match ordinary digits by chance (none are, in the data).
MIN_SECRET_LENGTH = 6


def sandbox_secrets(sandbox) -> set[str]:
    """Every password and call password the sandbox serves, read over its own API."""
    secrets: set[str] = set()
    page = 1
    while True:
        body = httpx.post(
            sandbox.api_url("list"), json={**sandbox.credentials, "page": page}, timeout=10
        ).json()
        for agent in body["response"]:
            secrets.update(str(agent[key]) for key in ("password", "call_pass"))
        if page >= body["totalPages"]:
            return secrets
        page += 1


def all_database_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from introspection
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def all_cache_bytes() -> bytes:
    backend = cache._cache if hasattr(cache, "_cache") else None
    if isinstance(backend, dict):  # LocMemCache: key -> pickled value
        return b"".join(pickle.dumps(k) + v for k, v in backend.items())
    client = cache._cache.get_client()  # Redis
    return b"".join(
        key + (client.get(key) or b"") for key in client.scan_iter(match=f"*{cache.key_prefix}*")
    )


# What each role browses: every page it may open (the others answer 403, tested elsewhere).
DIRECTORY_URLS = [
    "/",
    "/agents/",
    "/agents/?q=bh",
    "/agents/?sort=-name&per_page=100",
    "/agents/?page=2",
    "/agents/2/",
    "/agents/5/",
    "/agents/100/",
    "/agents/export.csv",
    "/schedules/",
    "/schedules/coverage.csv",
    "/schedules/slot/?slot_day=1&slot_minute=120",
]
ROLE_URLS = {
    "supervisor": DIRECTORY_URLS,
    "manager": [*DIRECTORY_URLS, "/cad/"],
    "admin": [*DIRECTORY_URLS, "/cad/", "/status/", "/sign-ins/", "/users/", "/accounts/"],
}


def test_no_secret_survives_anywhere(
    client, supervisor_user, manager_user, admin_user, sandbox_settings, settings, caplog
):
    settings.TASKS = IMMEDIATE_TASKS
    settings.DEEPCALL_CAD_CONCURRENCY = 1  # the job runs inside this test's transaction
    caplog.set_level(logging.DEBUG)
    secrets = sandbox_secrets(sandbox_settings)
    assert len(secrets) > 500  # 300 agents, two secrets each, nearly all distinct
    assert min(len(s) for s in secrets) >= MIN_SECRET_LENGTH

    run = services.agent_sync(trigger="command")
    assert run.outcome == "succeeded", run.message

    bodies = []

    def fetch(url, **kwargs):
        response = client.get(url, **kwargs)
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        bodies.append(content.decode())

    users = {"supervisor": supervisor_user, "manager": manager_user, "admin": admin_user}
    for role, urls in ROLE_URLS.items():
        client.force_login(users[role])
        for url in urls:
            fetch(url)
            fetch(url, headers={"HX-Request": "true"})
    assert len(bodies) == 2 * sum(len(urls) for urls in ROLE_URLS.values())

    # A CAD job for three picked agents, as an admin runs one.
    key = "5ec2e75ec2e75ec2e75ec2e75ec2e75e"
    start = client.post(
        reverse("cad-job-start"),
        {"action": "enable", "agent_ids": '["2", "3", "4"]', "idempotency_key": key},
    )
    assert start.status_code == 302
    job = CadJob.objects.get(idempotency_key=key)
    assert job.status == CadJob.Status.SUCCEEDED
    fetch(reverse("cad-job-detail", kwargs={"public_id": job.public_id}))

    haystacks = {
        "responses": "\n".join(bodies),
        "logs": caplog.text,
        "database": all_database_text(),
        "cache": all_cache_bytes().decode("latin-1"),
    }
    for where, text in haystacks.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{len(leaked)} secret(s) found in {where}, e.g. {leaked[:3]}"
