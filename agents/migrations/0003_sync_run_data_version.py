from django.db import migrations, models
from django.db.models import F


def each_past_success_is_its_own_version(apps, schema_editor):
    # Before this field every successful sync counted as a change: keep it so for past runs.
    SyncRun = apps.get_model("agents", "SyncRun")
    SyncRun.objects.filter(outcome="succeeded").update(data_version=F("pk"))


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0002_role_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="data_version",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(each_past_success_is_its_own_version, migrations.RunPython.noop),
    ]
