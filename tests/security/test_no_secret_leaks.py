"""No agent's password or call password gets past the service boundary.

After a full sync of the sandbox and a CAD job, every URL pattern of the URL configuration is
opened (GET, as a page and as an htmx partial) by each role, with the ids of real objects for
its parameters, plus a few query strings; then every secret value of every agent is searched
for in every response body, every log line, every cache entry and every row of every table.
A new page is covered without editing this test.
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
from agents.roles import ADMIN, MANAGER, SUPERVISOR
from agents.services.api_tokens import api_token_issue
from tests.security.test_url_permissions import ACCESS, ANYONE, PATTERNS, url_for

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


# Beyond each pattern's plain URL: the same pages with the query strings people use.
QUERY_VARIANTS = [
    "/agents/?q=bh",
    "/agents/?sort=-name&per_page=100",
    "/agents/?page=2",
    "/agents/5/",
    "/agents/100/",
    "/schedules/slot/?slot_day=1&slot_minute=120",
    "/changes/?q=a",
]


# Pages that show agents' data, which each role (and then an admin) must have been served.
API_READS = [
    "/api/v1/agents?per_page=500",
    "/api/v1/agents/{agent_id}",
    "/api/v1/changes?per_page=500",
    "/api/v1/coverage",
]
ADMIN_API_READS = ["/api/v1/cad-jobs", "/api/v1/cad-jobs/{public_id}/results?per_page=500"]
DATA_PAGES = {"home", "agent-list", "agent-detail", "agent-export", "schedules", "change-export"}
ADMIN_DATA_PAGES = {"cad-job-detail", "cad-job-undo", "upstream-status", "csv-export-list"}


def pages_allowed(role: str) -> set[str]:
    """The patterns this role may GET as a page (the others answer 403 or 405)."""
    return {
        key
        for key, (roles, get_status, _) in ACCESS.items()
        if get_status == 200 and (roles == ANYONE or role in roles)
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

    # A CAD job for three picked agents, as an admin runs one.
    client.force_login(admin_user)
    key = "5ec2e75ec2e75ec2e75ec2e75ec2e75e"
    start = client.post(
        reverse("cad-job-start"),
        {"action": "enable", "agent_ids": '["2", "3", "4"]', "idempotency_key": key},
    )
    assert start.status_code == 302
    job = CadJob.objects.get(idempotency_key=key)
    assert job.status == CadJob.Status.SUCCEEDED
    samples = {
        "agent_id": "2",
        "public_id": job.public_id,
        "job_id": job.public_id,
        "user_id": manager_user.pk,
        "token_id": api_token_issue(user=manager_user, name="listed").record.pk,
    }

    bodies = []

    def fetch(url, **kwargs) -> int:
        response = client.get(url, **kwargs)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        bodies.append(content.decode())
        return response.status_code

    users = {SUPERVISOR: supervisor_user, MANAGER: manager_user, ADMIN: admin_user}
    for role, user in users.items():
        client.force_login(user)
        answered = set()
        for key in sorted(PATTERNS):
            url = url_for(key, samples)
            statuses = {fetch(url), fetch(url, headers={"HX-Request": "true"})}
            if statuses == {200}:
                answered.add(key)
        # Nothing the role may not see was served, and its data pages were (an enrolled
        # admin's "enrol" page sends it on, so the sets need not be equal).
        assert answered <= pages_allowed(role), role
        assert answered >= DATA_PAGES, role
        if role == ADMIN:
            assert answered >= ADMIN_DATA_PAGES
        for url in QUERY_VARIANTS:
            assert fetch(url) == 200, url
            assert fetch(url, headers={"HX-Request": "true"}) == 200, url
        # The API, with the role's own token: every agent at once, one agent, the history.
        bearer = {"Authorization": f"Bearer {api_token_issue(user=user, name='sweep').token}"}
        for url in API_READS:
            assert fetch(url.format(**samples), headers=bearer) == 200, url
        if role == ADMIN:
            for url in ADMIN_API_READS:
                assert fetch(url.format(**samples), headers=bearer) == 200, url

    haystacks = {
        "responses": "\n".join(bodies),
        "logs": caplog.text,
        "database": all_database_text(),
        "cache": all_cache_bytes().decode("latin-1"),
    }
    for where, text in haystacks.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{len(leaked)} secret(s) found in {where}, e.g. {leaked[:3]}"
