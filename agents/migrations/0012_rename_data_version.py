from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agents", "0011_cad_selection")]

    operations = [
        migrations.RenameField(
            model_name="syncrun", old_name="data_version", new_name="read_model_version"
        ),
    ]
