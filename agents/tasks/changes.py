"""Pruning the change history past its retention (queued by the worker after each sync)."""

from django.tasks import task

from agents.services.changes import agent_change_prune


@task()
def agent_change_prune_task() -> int:
    """Delete changes older than DEEPCALL_CHANGE_RETENTION_DAYS; returns how many went."""
    return agent_change_prune()
