"""The team scope each CAD job and CSV export was made within (`scope_keys`), so a scoped user
is shown another user's filter text only when it was typed within their own scope.

Records made before this migration are taken to be the whole account's ("*"): their filter text
is shown to users with the whole account only (nothing says which scope they were made within).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0019_api_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="cadjob",
            name="scope_keys",
            field=models.TextField(default="*"),
        ),
        migrations.AddField(
            model_name="csvexport",
            name="scope_keys",
            field=models.TextField(default="*"),
        ),
    ]
