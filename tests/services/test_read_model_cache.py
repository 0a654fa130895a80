"""A sync's changes reach every process's cached choices: the keys carry the read model's
version, read from the shared database, so no process keeps serving the old lists."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone

from agents import filters
from agents.models import Agent, SyncRun
from agents.services import read_model_cache


def new_sync(**changes) -> None:
    now = timezone.now()
    Agent.objects.filter(agent_id="1").update(**changes)
    run = SyncRun.objects.create(started_at=now, finished_at=now, outcome=SyncRun.Outcome.SUCCEEDED)
    SyncRun.objects.filter(pk=run.pk).update(read_model_version=run.pk)  # it changed agents


@pytest.mark.django_db
def test_role_choices_follow_each_sync_in_every_process(monkeypatch):
    Agent.objects.create(agent_id="1", name="A", role_name="Agent", synced_at=timezone.now())
    new_sync()
    web_cache, worker_cache = LocMemCache("web", {}), LocMemCache("worker", {})

    monkeypatch.setattr(read_model_cache, "cache", web_cache)
    assert filters.role_choices() == [("Agent", "Agent")]
    monkeypatch.setattr(read_model_cache, "cache", worker_cache)
    assert filters.role_choices() == [("Agent", "Agent")]

    # The worker's sync renames the role; neither process is told directly.
    new_sync(role_name="Team lead")
    for process_cache in (web_cache, worker_cache):
        monkeypatch.setattr(read_model_cache, "cache", process_cache)
        assert filters.role_choices() == [("Team lead", "Team lead")]


@pytest.mark.django_db
def test_between_syncs_the_choices_come_from_the_cache(django_assert_num_queries):
    Agent.objects.create(agent_id="1", name="A", role_name="Agent", synced_at=timezone.now())
    new_sync()
    filters.role_choices()
    with django_assert_num_queries(1):  # the version only
        assert filters.role_choices() == [("Agent", "Agent")]


@pytest.mark.django_db
def test_the_agent_count_and_shared_group_names_follow_each_sync(monkeypatch):
    from agents.models import Group
    from agents.services import agent_queries

    Agent.objects.create(agent_id="1", name="A", synced_at=timezone.now())
    Group.objects.create(group_id="10", name="Sales")
    new_sync()
    assert agent_queries.agent_total_count() == 1
    assert agent_queries.duplicated_group_names() == frozenset()

    # A sync adds an agent and a second group called "Sales": the next page knows both.
    Agent.objects.create(agent_id="2", name="B", synced_at=timezone.now())
    Group.objects.create(group_id="11", name="Sales")
    assert agent_queries.agent_total_count() == 1  # no sync yet: the cached answer stands
    new_sync()
    assert agent_queries.agent_total_count() == 2
    assert agent_queries.duplicated_group_names() == frozenset({"Sales"})


@pytest.mark.django_db
def test_a_searchs_count_follows_each_sync_and_on_shift_follows_the_clock(monkeypatch):
    from datetime import UTC, datetime, timedelta

    from agents.models import WorkingWindow
    from agents.services.agent_queries import AgentFilters, agent_matching_count

    def matching(**filters) -> int:
        return agent_matching_count(AgentFilters(**filters))

    Agent.objects.create(agent_id="1", name="Asha", search_text="asha", synced_at=timezone.now())
    new_sync()
    assert matching(text="ash") == 1
    Agent.objects.create(agent_id="2", name="Ashok", search_text="ashok", synced_at=timezone.now())
    assert matching(text="ash") == 1  # between syncs the count is the cached one
    new_sync()
    assert matching(text="ash") == 2

    # Who is on shift changes with the clock, not with a sync: counted again each minute.
    WorkingWindow.objects.create(
        agent=Agent.objects.get(agent_id="1"),
        weekday_mask=0b1111111,
        start_minute=540,  # 09:00
        end_minute=630,  # 10:30
    )
    monday_0930_in_kolkata = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    for later, on_shift in ((0, 1), (59, 1), (60, 0)):  # 09:30, 10:29 and 10:30
        at = monday_0930_in_kolkata + timedelta(minutes=later)
        monkeypatch.setattr(timezone, "now", lambda at=at: at)
        assert matching(on_shift=True) == on_shift


@pytest.mark.django_db
def test_one_request_reads_one_version_and_a_sync_it_runs_moves_it_on():
    Agent.objects.create(agent_id="1", name="A", role_name="Agent", synced_at=timezone.now())
    new_sync()
    before = read_model_cache.read_model_version()
    with read_model_cache.one_read_model_version():
        assert read_model_cache.read_model_version() == before
        new_sync()  # another process's sync, mid-request: this page keeps its version
        assert read_model_cache.read_model_version() == before
        after = read_model_cache.read_model_version(fresh=True)  # as a sync run here does
        assert after != before
        assert read_model_cache.read_model_version() == after
    assert read_model_cache.read_model_version() == after


@pytest.mark.django_db
def test_a_page_that_read_the_sync_status_reads_no_version_again(django_assert_num_queries):
    from agents.services.read_model_status import sync_status

    Agent.objects.create(agent_id="1", name="A", role_name="Agent", synced_at=timezone.now())
    new_sync()
    with read_model_cache.one_read_model_version():
        status = sync_status()
        with django_assert_num_queries(0):
            assert read_model_cache.read_model_version() == status.read_model_version
