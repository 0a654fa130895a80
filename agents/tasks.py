"""Background tasks (Django's `django.tasks`, on the database-backed queue by default).

Each task is a thin wrapper over a use-case in `agents.services`; the worker runs them
(`manage.py db_worker`, see the Procfile).
"""

from __future__ import annotations

from django.tasks import task

from agents.models import SyncRun
from agents.services.agent_changes import agent_change_prune
from agents.services.cad_jobs import cad_job_run
from agents.services.read_model_sync import agent_sync


@task()
def agent_sync_task(*, trigger: str, run_id: int | None = None) -> dict:
    """Run one full sync; `run_id` is the SyncRun row created when the sync was queued."""
    run = SyncRun.objects.filter(pk=run_id).first() if run_id is not None else None
    run = agent_sync(trigger=trigger, run=run)
    # Pruned here, on the worker, after the sync's own writes: never in a web request, and
    # as often as history is added.
    agent_change_prune_task.enqueue()
    return {"run_id": run.pk, "outcome": run.outcome, "agent_count": run.agent_count}


@task()
def agent_change_prune_task() -> int:
    """Delete changes older than DEEPCALL_CHANGE_RETENTION_DAYS; returns how many went."""
    return agent_change_prune()


@task
def cad_job_task(*, job_id: int) -> str:
    """Run (or go on with) one CAD job; returns its final status."""
    return cad_job_run(job_id=job_id).status
