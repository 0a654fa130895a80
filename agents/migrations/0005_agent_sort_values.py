"""Each agent's sort values for "groups" and "hours", kept by the sync, filled in here once."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill_sort_values(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    WorkingWindow = apps.get_model("agents", "WorkingWindow")
    first_group = (
        Agent.groups.through.objects.filter(agent_id=OuterRef("pk"))
        .order_by("group__name")
        .values("group__name")[:1]
    )
    first_start = (
        WorkingWindow.objects.filter(agent_id=OuterRef("pk"))
        .exclude(start_minute=F("end_minute"))
        .exclude(weekday_mask=0)  # as agents.working_hours.window_is_unset: no minute covered
        .order_by("start_minute")
        .values("start_minute")[:1]
    )
    Agent.objects.update(
        sort_group_name=Coalesce(Subquery(first_group), Value("")),
        sort_start_minute=Coalesce(Subquery(first_start), Value(-1)),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_long_api_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="sort_group_name",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="agent",
            name="sort_start_minute",
            field=models.SmallIntegerField(default=-1),
        ),
        migrations.RunPython(fill_sort_values, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="agent",
            index=models.Index(
                fields=["sort_group_name", "agent_id_sort"], name="agent_group_sort_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="agent",
            index=models.Index(
                fields=["sort_start_minute", "agent_id_sort"], name="agent_hours_sort_idx"
            ),
        ),
    ]
