"""Personal API tokens (hashed); which token started a CAD job or read an export through the
HTTP API ("" for the pages); staffing targets replaced through the API, in their change log."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0018_agent_group_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="cadjob",
            name="api_token_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="csvexport",
            name="api_token_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("prefix", models.CharField(max_length=16, unique=True)),
                ("secret_hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AlterField(
            model_name="staffingtargetchange",
            name="action",
            field=models.CharField(
                choices=[
                    ("grid", "Edited the grid"),
                    ("fill", "Filled a range"),
                    ("copy_monday", "Copied Monday to the weekdays"),
                    ("clear", "Cleared all targets"),
                    ("import", "Imported a CSV file"),
                    ("api", "Replaced through the API"),
                ],
                max_length=16,
            ),
        ),
    ]
