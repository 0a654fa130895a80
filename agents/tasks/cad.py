"""The bulk-CAD job as a background task (django.tasks; the database queue by default)."""

from django.tasks import task

from agents.services.cad import cad_job_run


@task
def cad_job_task(*, job_id: int) -> str:
    """Run (or go on with) one CAD job; returns its final status."""
    return cad_job_run(job_id=job_id).status
