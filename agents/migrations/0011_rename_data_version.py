from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agents", "0010_staffing_targets")]

    operations = [
        migrations.RenameField(
            model_name="syncrun", old_name="data_version", new_name="read_model_version"
        ),
    ]
