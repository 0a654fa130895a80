"""The background tasks as the worker runs them from the database queue."""

from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from agents.services.agent_changes import agent_change_prune_task

QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_under_its_old_module_path_still_runs_after_migrating(settings):
    settings.TASKS = QUEUED
    agent_change_prune_task.enqueue()
    DBTaskResult.objects.update(task_path="agents.tasks.changes.agent_change_prune_task")

    import_module("agents.migrations.0014_task_paths").forwards(apps, None)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    row = DBTaskResult.objects.get()
    assert row.task_path == "agents.services.agent_changes.agent_change_prune_task"
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 0
