"""Staffing targets and their change log; Managers and Admins may set them, everyone read them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from agents.roles import sync_role_groups_migration


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0009_cad_batch_attempts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffingTarget",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("group_id", models.CharField(blank=True, default="", max_length=64)),
                ("weekday", models.PositiveSmallIntegerField()),
                ("start_minute", models.PositiveSmallIntegerField()),
                ("target", models.PositiveIntegerField()),
            ],
            options={
                "ordering": ["group_id", "weekday", "start_minute"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("group_id", "weekday", "start_minute"),
                        name="one_target_per_group_slot",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("weekday__lte", 6)),
                        name="staffing_target_weekday_range",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("start_minute__lt", 1440)),
                        name="staffing_target_minute_range",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="StaffingTargetChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("changed_by_name", models.CharField(max_length=150)),
                ("changed_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                (
                    "group_id",
                    models.CharField(blank=True, db_index=True, default="", max_length=64),
                ),
                ("group_name", models.TextField(blank=True)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("grid", "Edited the grid"),
                            ("fill", "Filled a range"),
                            ("copy_monday", "Copied Monday to the weekdays"),
                            ("clear", "Cleared all targets"),
                            ("import", "Imported a CSV file"),
                        ],
                        max_length=16,
                    ),
                ),
                ("slot_minutes", models.PositiveSmallIntegerField()),
                ("slots_changed", models.PositiveIntegerField()),
                (
                    "changed_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="staffing_target_changes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-changed_at", "-id"],
            },
        ),
        # The new models' permissions go to the roles (agents.roles).
        migrations.RunPython(sync_role_groups_migration, migrations.RunPython.noop),
    ]
