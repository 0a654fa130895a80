"""The background sync of the agent directory (queued by `services.agent_sync_request`)."""

from __future__ import annotations

from django.tasks import task

from agents.models import SyncRun
from agents.tasks.changes import agent_change_prune_task


@task()
def agent_sync_task(*, trigger: str, run_id: int | None = None) -> dict:
    """Run one full sync; `run_id` is the SyncRun row created when the sync was queued."""
    from agents.services.sync import agent_sync

    run = SyncRun.objects.filter(pk=run_id).first() if run_id is not None else None
    run = agent_sync(trigger=trigger, run=run)
    # Pruned here, on the worker, after the sync's own writes: never in a web request, and
    # as often as history is added.
    agent_change_prune_task.enqueue()
    return {"run_id": run.pk, "outcome": run.outcome, "agent_count": run.agent_count}
