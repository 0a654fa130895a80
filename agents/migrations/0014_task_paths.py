"""Point queued tasks at the modules that define them, next to the use-case each one runs.

The database queue stores each task by its dotted path; a row still naming a module that no
longer exists would be marked failed by the worker on import instead of being run. Finished
rows are rewritten too, so the admin still names their task.
"""

from django.db import migrations

CAD_JOB_TASK = "agents.services.cad_jobs.cad_job_task"
AGENT_SYNC_TASK = "agents.services.read_model_sync.agent_sync_task"
AGENT_CHANGE_PRUNE_TASK = "agents.services.agent_changes.agent_change_prune_task"
OLD_TO_NEW = {
    "agents.tasks.cad.cad_job_task": CAD_JOB_TASK,
    "agents.tasks.sync.agent_sync_task": AGENT_SYNC_TASK,
    "agents.tasks.changes.agent_change_prune_task": AGENT_CHANGE_PRUNE_TASK,
    # The paths of a single `agents/tasks.py`, on main between f90f7b5 and the next commit.
    "agents.tasks.cad_job_task": CAD_JOB_TASK,
    "agents.tasks.agent_sync_task": AGENT_SYNC_TASK,
    "agents.tasks.agent_change_prune_task": AGENT_CHANGE_PRUNE_TASK,
}
# Going back restores the three modules' paths, which the code of that time defines.
NEW_TO_OLD = {new: old for old, new in list(OLD_TO_NEW.items())[:3]}


def _rewrite(apps, mapping):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in mapping.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    _rewrite(apps, OLD_TO_NEW)


def backwards(apps, schema_editor):
    _rewrite(apps, NEW_TO_OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0013_csv_exports"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
