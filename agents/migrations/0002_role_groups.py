"""Create the Supervisor, Manager and Admin groups, so a deploy has them after `migrate`."""

from django.db import migrations

from agents.roles import ROLE_PERMISSIONS, sync_role_groups_migration


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_role_groups_migration, remove_role_groups)]
