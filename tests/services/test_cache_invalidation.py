"""A sync's changes reach every process's cached choices: the keys carry the read model's
version, read from the shared database, so no process keeps serving the old lists."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone

from agents import filters
from agents.models import Agent, SyncRun


def new_sync(**changes) -> None:
    now = timezone.now()
    Agent.objects.filter(agent_id="1").update(**changes)
    SyncRun.objects.create(started_at=now, finished_at=now, outcome=SyncRun.Outcome.SUCCEEDED)


@pytest.mark.django_db
def test_role_choices_follow_each_sync_in_every_process(monkeypatch):
    Agent.objects.create(agent_id="1", name="A", role_name="Agent", synced_at=timezone.now())
    new_sync()
    web_cache, worker_cache = LocMemCache("web", {}), LocMemCache("worker", {})

    monkeypatch.setattr(filters, "cache", web_cache)
    assert filters.role_choices() == [("Agent", "Agent")]
    monkeypatch.setattr(filters, "cache", worker_cache)
    assert filters.role_choices() == [("Agent", "Agent")]

    # The worker's sync renames the role; neither process is told directly.
    new_sync(role_name="Team lead")
    for process_cache in (web_cache, worker_cache):
        monkeypatch.setattr(filters, "cache", process_cache)
        assert filters.role_choices() == [("Team lead", "Team lead")]


@pytest.mark.django_db
def test_between_syncs_the_choices_come_from_the_cache(django_assert_num_queries):
    Agent.objects.create(agent_id="1", name="A", role_name="Agent", synced_at=timezone.now())
    new_sync()
    filters.role_choices()
    with django_assert_num_queries(1):  # the version only
        assert filters.role_choices() == [("Agent", "Agent")]
