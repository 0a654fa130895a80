"""Several processes at once: two syncs started together neither duplicate nor corrupt the
mirror. Runs on SQLite and, in CI's second pass, on PostgreSQL (real row and advisory locks)."""

from collections import Counter

import pytest

from agents.models import Agent, WorkingWindow
from agents.services import agent_sync
from agents.upstream import get_deepcall_client
from tests.services.conftest import run_at_once


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_leave_one_exact_copy(sandbox_settings):
    listed = get_deepcall_client().list_agents().agents
    expected = {a.agent_id: a for a in listed if not a.is_deleted}
    # Latency keeps both syncs' fetches overlapping, so their writes meet.
    sandbox_settings.set_faults(latency_ms=30)
    outcomes, errors = run_at_once(lambda: agent_sync(trigger="command").outcome)

    assert errors == []
    assert outcomes == ["succeeded", "succeeded"]
    assert Agent.objects.count() == len(expected)
    windows = Counter(WorkingWindow.objects.values_list("agent__agent_id", flat=True))
    for agent_id, record in expected.items():
        assert windows.get(agent_id, 0) == len(record.windows), agent_id
    groups = Counter(Agent.groups.through.objects.values_list("agent__agent_id", flat=True))
    for agent_id, record in expected.items():
        assert groups.get(agent_id, 0) == len({g.group_id for g in record.groups}), agent_id
