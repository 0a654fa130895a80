"""Several processes at once: two syncs started together neither duplicate nor corrupt the
mirror. Runs on SQLite and, in CI's second pass, on PostgreSQL (real row and advisory locks)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from agents.models import Agent, WorkingWindow
from agents.services import agent_sync
from agents.upstream import get_deepcall_client


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_leave_one_exact_copy(sandbox_settings):
    expected = {a.agent_id: a for a in get_deepcall_client().list_agents().agents}
    # Latency keeps both syncs' fetches overlapping, so their writes meet.
    sandbox_settings.set_faults(latency_ms=30)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def sync_in_thread():
        try:
            barrier.wait()
            outcomes.append(agent_sync(trigger="command").outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert outcomes == ["succeeded", "succeeded"]
    assert Agent.objects.count() == len(expected)
    windows = Counter(WorkingWindow.objects.values_list("agent__agent_id", flat=True))
    for agent_id, record in expected.items():
        assert windows.get(agent_id, 0) == len(record.windows), agent_id
    groups = Counter(Agent.groups.through.objects.values_list("agent__agent_id", flat=True))
    for agent_id, record in expected.items():
        assert groups.get(agent_id, 0) == len({g.group_id for g in record.groups}), agent_id
