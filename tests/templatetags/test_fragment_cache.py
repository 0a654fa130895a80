"""`{% cached_per_version %}`: a fragment is drawn once per read-model version and values; one
that varies by a free-text search lives a minute at most, others ten minutes."""

import time

import pytest
from django.core.cache.backends import locmem
from django.core.cache.backends.locmem import LocMemCache
from django.template import Context, Template

from agents.services import read_model_cache

FRAGMENT = Template(
    "{% load fragment_cache %}"
    '{% cached_per_version "test-fragment" query free_text=text %}{{ drawn }}'
    "{% endcached_per_version %}"
)


class Clock:
    """The local-memory cache's idea of now, moved on by hand."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A cache of its own (local memory, whatever the suite runs on) with a clock of its own,
    which the process's copies of its entries follow too."""
    clock = Clock()
    monkeypatch.setattr(read_model_cache, "cache", LocMemCache("fragments", {}))
    monkeypatch.setattr(locmem, "time", clock)
    monkeypatch.setattr(read_model_cache, "time", clock)
    return clock


def draw(query: str, text: str, drawn: int) -> str:
    return FRAGMENT.render(Context({"query": query, "text": text, "drawn": drawn}))


@pytest.mark.django_db
def test_a_fragment_for_a_search_is_drawn_again_after_a_minute(clock):
    assert draw("?q=asha", "asha", 1) == "1"
    clock.now += 50
    assert draw("?q=asha", "asha", 2) == "1"  # still the cached one
    clock.now += 11
    assert draw("?q=asha", "asha", 3) == "3"


@pytest.mark.django_db
def test_a_fragment_without_a_search_lives_ten_minutes(clock):
    assert draw("?status=active", "", 1) == "1"
    clock.now += 9 * 60
    assert draw("?status=active", "", 2) == "1"
    clock.now += 61
    assert draw("?status=active", "", 3) == "3"


@pytest.mark.django_db
def test_a_searchs_count_is_recounted_after_a_minute_without_a_sync(clock):
    from django.utils import timezone

    from agents.models import Agent
    from agents.services.agent_queries import AgentFilters, agent_matching_count

    def asha() -> int:
        return agent_matching_count(AgentFilters(text="asha"))

    Agent.objects.create(agent_id="1", name="Asha", search_text="asha", synced_at=timezone.now())
    assert asha() == 1
    Agent.objects.create(
        agent_id="2", name="Asha B", search_text="asha b", synced_at=timezone.now()
    )
    assert asha() == 1  # cached: no sync has changed the read model
    clock.now += 61
    assert asha() == 2
