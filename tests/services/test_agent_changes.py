"""The change history a sync records, against the sandbox over real HTTP: each kind of change,
the first load, no secrets, exactly once under two concurrent syncs, and retention."""

import json
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from agents.models import AgentChange, SyncRun
from agents.services import agent_sync
from agents.services.agent_changes import agent_change_prune, agent_change_prune_task
from agents.services.read_model_sync import agent_sync_task
from tests.fixtures.sandbox import SANDBOX_LISTED_AGENTS
from tests.services.conftest import run_at_once

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_6 = [{"wDays": ["MON", "TUE", "WED", "THU", "FRI"], "from": 540, "to": 1080}]
MON_SAT_9_TO_6 = [{"wDays": ["MON", "TUE", "WED", "THU", "FRI", "SAT"], "from": 540, "to": 1080}]


def mutate(sandbox, **body) -> dict:
    response = httpx.post(f"{sandbox.url}/_sandbox/mutate", json=body)
    assert response.status_code == 200, response.text
    return response.json()["changed"]


def synced() -> SyncRun:
    run = agent_sync(trigger="command")
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.message
    return run


def history() -> list[tuple]:
    return sorted(
        AgentChange.objects.values_list("agent_id", "kind", "field", "before", "after"),
        key=lambda row: (row[0], row[1], row[2]),
    )


def test_first_load_is_one_entry_not_one_per_agent(deepcall):
    synced()
    (entry,) = AgentChange.objects.all()
    assert (entry.kind, entry.after, entry.agent_id) == ("first_load", SANDBOX_LISTED_AGENTS, "")


def test_a_sync_that_finds_nothing_new_records_nothing(deepcall):
    synced()
    synced()
    assert AgentChange.objects.count() == 1


def test_each_kind_of_change_is_recorded_with_before_and_after(deepcall):
    mutate(deepcall, hours={"4": WEEKDAYS_9_TO_6})
    synced()
    AgentChange.objects.all().delete()
    added = mutate(
        deepcall,
        rename={"4": "Vijay Kumar"},
        hours={"4": MON_SAT_9_TO_6},
        groups={"5": [34, 30]},
        pre_delete=["6"],
        remove=["8"],
        add=1,
    )["add"]
    run = synced()

    assert history() == sorted(
        [
            ("4", "changed", "name", "vijay developer", "Vijay Kumar"),
            (
                "4",
                "changed",
                "hours",
                [[0b0011111, 540, 1080]],
                [[0b0111111, 540, 1080]],
            ),
            (
                "5",
                "changed",
                "groups",
                [
                    ["13", "Test_Group"],
                    ["15", "Test_Group"],
                    ["16", "Test_Group"],
                    ["17", "Perm"],
                    ["4", "Unknown group (4)"],
                ],
                [["30", "Sales"], ["34", "Billing"]],
            ),
            ("6", "changed", "pending_deletion", False, True),
            ("8", "removed", "", None, None),
            (added[0], "added", "", None, None),
        ],
        key=lambda row: (row[0], row[1], row[2]),
    )
    assert all(
        run.started_at <= c.recorded_at <= run.finished_at for c in AgentChange.objects.all()
    )
    removed = AgentChange.objects.get(kind="removed")
    assert removed.agent_name == "manoj"  # as it was, so the history still names who left
    renamed = AgentChange.objects.get(field="name")
    assert renamed.agent_name == "Vijay Kumar"
    # The agent's groups at the time, so "changes in Billing" finds the move into Billing.
    assert "\x1f34\x1f" in AgentChange.objects.get(field="groups").group_keys


def test_no_secret_reaches_the_history(deepcall):
    synced()
    mutate(deepcall, random=60)
    synced()
    assert AgentChange.objects.count() > 10
    sandbox_agents = json.dumps(
        httpx.post(deepcall.api_url("list"), json={**deepcall.ssid_credentials, "page": 1}).json()
    )
    secrets = set()
    for agent in json.loads(sandbox_agents)["response"]:
        secrets.update({str(agent["password"]), str(agent["call_pass"])})
    stored = json.dumps(
        list(AgentChange.objects.values_list("agent_name", "before", "after", "group_keys"))
    )
    assert secrets and not any(secret in stored for secret in secrets)
    assert "password" not in stored and "call_pass" not in stored


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_record_each_change_exactly_once(deepcall):
    synced()
    changed = mutate(
        deepcall,
        rename={"4": "Vijay Kumar"},
        hours={"5": MON_SAT_9_TO_6},
        groups={"6": [34]},
        pre_delete=["3"],
        remove=["8"],
        add=1,
    )
    # Latency keeps both syncs' fetches overlapping, so they race to write.
    deepcall.set_faults(latency_ms=30)
    outcomes, errors = run_at_once(lambda: agent_sync(trigger="command").outcome)

    assert errors == []
    assert outcomes == ["succeeded", "succeeded"]
    assert sorted(AgentChange.objects.values_list("agent_id", "kind", "field")) == sorted(
        [
            ("", "first_load", ""),
            ("4", "changed", "name"),
            ("5", "changed", "hours"),
            ("6", "changed", "groups"),
            ("3", "changed", "pending_deletion"),
            ("8", "removed", ""),
            (changed["add"][0], "added", ""),
        ]
    )


def test_a_failed_sync_records_nothing(deepcall, no_retry_waits):
    synced()
    mutate(deepcall, rename={"4": "Vijay Kumar"})
    deepcall.set_faults(error_rate=1.0)
    run = agent_sync(trigger="command")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert AgentChange.objects.count() == 1


def test_prune_deletes_only_changes_older_than_the_retention(settings):
    settings.DEEPCALL_CHANGE_RETENTION_DAYS = 30
    now = timezone.now()
    for days in (31, 29, 0):
        AgentChange.objects.create(
            recorded_at=now - timedelta(days=days), agent_id=str(days), kind="added"
        )
    assert agent_change_prune(now=now) == 1
    assert sorted(AgentChange.objects.values_list("agent_id", flat=True)) == ["0", "29"]


def test_the_worker_prunes_after_each_sync(deepcall, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.DEEPCALL_CHANGE_RETENTION_DAYS = 7
    AgentChange.objects.create(
        recorded_at=timezone.now() - timedelta(days=8), agent_id="old", kind="added"
    )
    # The sync task (the worker runs it) queues the prune; the test backend runs it at once.
    agent_sync_task.call(trigger="command")
    assert not AgentChange.objects.filter(agent_id="old").exists()
    assert agent_change_prune_task.call() == 0


def test_the_writer_without_recording_writes_the_same_agents_and_no_history(deepcall):
    """`record_changes=False` (what bench/changes_bench.py compares against): the read model
    is written as with recording, and no history entry is made, neither the first load nor a
    change."""
    from agents.models import Agent
    from agents.services.read_model_writer import read_model_write_listing
    from agents.upstream import get_deepcall_client

    read_model_write_listing(
        get_deepcall_client().list_agents(), now=timezone.now(), record_changes=False
    )
    assert Agent.objects.count() == SANDBOX_LISTED_AGENTS
    mutate(deepcall, hours={"4": WEEKDAYS_9_TO_6})
    read_model_write_listing(
        get_deepcall_client().list_agents(), now=timezone.now(), record_changes=False
    )
    windows = Agent.objects.get(agent_id="4").windows.values_list("start_minute", "end_minute")
    assert list(windows) == [(540, 1080)]
    assert not AgentChange.objects.exists()
