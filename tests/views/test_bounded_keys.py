"""Cache keys come from validated values only: junk in the query string stores nothing new."""

import secrets

import pytest
from django.core.cache import cache
from django.utils import timezone

from agents.models import SyncRun
from tests.fixtures.agents import create_agents

pytestmark = pytest.mark.django_db


def cache_key_count() -> int:
    """Entries under this test's own key prefix (other test processes may share Redis)."""
    backend = cache._cache if hasattr(cache, "_cache") else None
    if isinstance(backend, dict):  # LocMemCache
        return sum(1 for key in backend if key.startswith(f"{cache.key_prefix}:"))
    client = cache._cache.get_client()  # Redis
    return sum(1 for _ in client.scan_iter(match=f"{cache.key_prefix}:*"))


@pytest.fixture
def agents(settings):
    default = {**settings.CACHES["default"], "KEY_PREFIX": f"bounded-{secrets.token_hex(4)}"}
    settings.CACHES = {**settings.CACHES, "default": default}
    settings.DEEPCALL_SYNC_TTL = 10**9
    create_agents(range(1, 30))
    now = timezone.now()
    SyncRun.objects.create(started_at=now, finished_at=now, outcome="succeeded", agent_count=29)


@pytest.mark.parametrize("url", ["/schedules/", "/agents/"])
@pytest.mark.parametrize("junk", ["z", "status", "group", "day"])
def test_junk_in_the_query_string_builds_no_new_cache_entries(supervisor_client, agents, url, junk):
    supervisor_client.get(url)
    supervisor_client.get(f"{url}?{junk}=warm-up")
    before = cache_key_count()
    for _ in range(5):
        response = supervisor_client.get(f"{url}?{junk}={secrets.token_hex(8)}")
        assert response.status_code == 200
    assert cache_key_count() == before


@pytest.mark.django_db(transaction=True)  # closing a download closes its connection
@pytest.mark.parametrize("url", ["/agents/export.csv", "/changes.csv"])
def test_a_user_runs_only_a_few_csv_exports_at_once(supervisor_client, agents, url):
    from agents.export_limit import MAX_EXPORTS_AT_ONCE

    running = [supervisor_client.get(url) for _ in range(MAX_EXPORTS_AT_ONCE)]
    assert [r.status_code for r in running] == [200] * MAX_EXPORTS_AT_ONCE
    refused = supervisor_client.get(url)
    assert refused.status_code == 429
    assert "CSV exports under way; wait for one to finish" in refused.content.decode()
    # One download ends (finished or abandoned): its slot is free again.
    b"".join(running[0].streaming_content)
    running[0].close()
    assert supervisor_client.get(url).status_code == 200
