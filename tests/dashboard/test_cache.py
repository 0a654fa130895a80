"""Redis is a helper: with it away, the cache answers from the process's memory, limits hold,
users stay logged in, one warning is logged per outage, and sharing resumes by itself."""

import logging

import pytest
from django.core.cache import cache
from django.utils import timezone

from agents.export_limit import MAX_EXPORTS_AT_ONCE
from agents.models import SyncRun
from agents.services.cooldown import cooldown_start
from dashboard import cache as fallback_cache
from tests.fixtures.agents import create_agents
from tests.fixtures.redis_server import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    """The default cache on this module's own redis-server, which is up at the start."""
    redis_server.stop()
    redis_server.start()
    fallback_cache.forget_outages()
    settings.CACHES = {
        "default": {
            "BACKEND": "dashboard.cache.FallbackRedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "test",
        }
    }
    cache.local.clear()
    return redis_server


def warnings_from_cache(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dashboard.cache"]


def test_values_are_shared_through_redis_while_it_answers(redis_cache):
    cache.set("greeting", "hello")
    assert redis_cache.client().exists("test:1:greeting")
    assert cache.local.get("greeting") is None


def test_while_redis_is_away_the_cache_answers_from_memory_with_one_warning(redis_cache, caplog):
    caplog.set_level(logging.WARNING, logger="dashboard.cache")
    redis_cache.stop()
    for n in range(20):
        cache.set(f"count-{n}", n)
        assert cache.get(f"count-{n}") == n
    assert cache.add("lock", 1) is True
    assert cache.add("lock", 1) is False
    assert len(warnings_from_cache(caplog)) == 1
    assert "does not answer" in warnings_from_cache(caplog)[0]


def test_caching_is_shared_again_once_redis_is_back(redis_cache, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="dashboard.cache")
    monkeypatch.setattr(fallback_cache, "RETRY_AFTER_S", 0)
    redis_cache.stop()
    cache.set("during", 1)
    redis_cache.start()  # empty, as a restart without persistence
    cache.set("after", 2)
    assert redis_cache.client().exists("test:1:after")
    messages = warnings_from_cache(caplog)
    assert len(messages) == 2
    assert "answers again" in messages[1]


def test_export_slots_stay_limited_while_redis_is_away(redis_cache):
    from agents.export_limit import export_slot

    redis_cache.stop()
    slots = [export_slot(user_id=7, lines=[]) for _ in range(MAX_EXPORTS_AT_ONCE)]
    assert all(slots)
    assert export_slot(user_id=7, lines=[]) is None
    slots[0].close()
    assert export_slot(user_id=7, lines=[]) is not None


def test_a_slot_taken_while_redis_was_away_is_released_after_it_is_back(redis_cache, monkeypatch):
    from agents.export_limit import export_slot

    monkeypatch.setattr(fallback_cache, "RETRY_AFTER_S", 0)
    redis_cache.stop()
    held = [export_slot(user_id=8, lines=[]) for _ in range(MAX_EXPORTS_AT_ONCE)]
    redis_cache.start()
    for slot in held:
        slot.close()
    assert cache.local.get("csv-exports:8:1") is None


def test_cooldowns_hold_while_redis_is_away(redis_cache):
    redis_cache.stop()
    assert cooldown_start(action="refresh", seconds=30) == 0
    assert cooldown_start(action="refresh", seconds=30) > 0


def test_logged_in_users_keep_browsing_while_redis_is_away(
    redis_cache, supervisor_client, settings
):
    settings.DEEPCALL_SYNC_TTL = 10**9
    create_agents(range(1, 6))
    now = timezone.now()
    SyncRun.objects.create(started_at=now, finished_at=now, outcome="succeeded", agent_count=5)
    assert supervisor_client.get("/agents/").status_code == 200
    redis_cache.stop()
    for url in ("/agents/", "/agents/?status=active", "/schedules/", "/"):
        response = supervisor_client.get(url)
        assert response.status_code == 200, url
        assert "Agent 3" in response.content.decode() or url == "/"


def test_readyz_reports_the_cache_degraded_but_stays_ready(redis_cache, client):
    from agents.services.task_workers import task_worker_beat

    task_worker_beat(worker_id="w1")
    assert client.get("/readyz/").json()["cache"] == "ok"
    redis_cache.stop()
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "cache": "degraded",
        "workers": 1,
    }
