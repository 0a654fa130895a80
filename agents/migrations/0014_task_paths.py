"""Point queued tasks at `agents.tasks`, where the three background tasks are defined.

The database queue stores each task by its dotted path; a row still naming a module that no
longer exists would be marked failed by the worker on import instead of being run. Finished
rows are rewritten too, so the admin still names their task.
"""

from django.db import migrations

OLD_TO_NEW = {
    "agents.tasks.cad.cad_job_task": "agents.tasks.cad_job_task",
    "agents.tasks.sync.agent_sync_task": "agents.tasks.agent_sync_task",
    "agents.tasks.changes.agent_change_prune_task": "agents.tasks.agent_change_prune_task",
}


def _rewrite(apps, mapping):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in mapping.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    _rewrite(apps, OLD_TO_NEW)


def backwards(apps, schema_editor):
    _rewrite(apps, {new: old for old, new in OLD_TO_NEW.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0013_csv_exports"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
