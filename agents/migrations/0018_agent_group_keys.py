"""Each agent's group ids on its row (`Agent.group_keys`), filled in for the agents already
held, so a team scope tests the row instead of probing the agent-group links per agent.

On SQLite also an index of the default order with the keys in it: a scoped user's deep page
walks past several times as many agents as it shows, and reads each one's keys from the index
instead of its row (directory page 40 at 100,000 agents, README Performance → Team scopes).
Not on PostgreSQL, whose btree entries are limited to about 2.7 kB (an agent in a few hundred
groups would make the sync fail).
"""

from django.db import migrations, models

from agents.models import group_keys_for

BATCH = 2000
SCOPE_INDEX = "agent_default_order_scope_idx"


def fill_group_keys(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    links = Agent.groups.through.objects.order_by("agent_id").values_list(
        "agent_id", "group__group_id"
    )
    groups: dict[int, list[str]] = {}
    for agent_pk, group_id in links.iterator(chunk_size=5000):
        groups.setdefault(agent_pk, []).append(group_id)
    rows = [Agent(pk=pk, group_keys=group_keys_for(ids)) for pk, ids in groups.items()]
    Agent.objects.bulk_update(rows, ["group_keys"], batch_size=BATCH)


def create_scope_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f'CREATE INDEX "{SCOPE_INDEX}" ON "agents_agent" '
            '("agent_id_sort", "agent_id", "group_keys")'
        )


def drop_scope_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{SCOPE_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("agents", "0017_team_scopes")]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="group_keys",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill_group_keys, migrations.RunPython.noop),
        migrations.RunPython(create_scope_index, drop_scope_index),
    ]
