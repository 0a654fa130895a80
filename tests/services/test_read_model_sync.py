"""The directory sync against the sandbox over real HTTP: parsing, removals, outages, secrets."""

import importlib
import json
import re

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from agents.deepcall.parsing import parse_agent
from agents.deepcall.records import AgentListing
from agents.models import Agent, Group, SyncRun, WorkingWindow, group_keys_for
from agents.sandbox.data import published_agents
from agents.sandbox.server import start_in_thread
from agents.services.read_model_status import sync_status
from agents.services.read_model_sync import agent_sync, agent_sync_request
from agents.services.read_model_writer import (
    ReadModelWriter,
    agent_id_sort_key,
    agent_search_text,
    read_model_write_listing,
)
from agents.services.team_scopes import agents_in_scope
from agents.team_scope import TeamScope, team_scope_active
from agents.upstream import reset_deepcall_client
from tests.fixtures.sandbox import SANDBOX_LISTED_AGENTS, SANDBOX_TEST_AGENTS

pytestmark = pytest.mark.django_db

_GROUP_KEYS_MIGRATION = importlib.import_module("agents.migrations.0018_agent_group_keys")
fill_group_keys = _GROUP_KEYS_MIGRATION.fill_group_keys
SCOPE_INDEX = _GROUP_KEYS_MIGRATION.SCOPE_INDEX


def test_full_sync_mirrors_every_agent_over_several_pages(deepcall):
    run = agent_sync(trigger="command")
    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.message
    # The agents DeepCall lists as deleted are left out (and said so).
    assert run.agent_count == SANDBOX_LISTED_AGENTS == Agent.objects.count()
    assert "3 agent(s) deleted in DeepCall left out." in run.message
    assert run.pages_fetched == 3
    assert run.trigger == "command" and run.duration_ms is not None and run.finished_at


def test_published_agents_are_parsed_with_groups_and_windows(deepcall):
    agent_sync(trigger="command")
    vijay = Agent.objects.get(agent_id="4")
    assert vijay.name == "vijay developer"
    assert vijay.email == "vijay.k@sarv.com" and vijay.phone == "919694730287"
    assert vijay.role_name == "test" and vijay.is_active and vijay.dest_type == "MOBILE"
    assert vijay.search_text == "vijay developer vijay.k@sarv.com 919694730287 4"
    assert vijay.agent_id_sort == 4
    assert {(g.group_id, g.name) for g in vijay.groups.all()} == {
        ("17", "Perm"),
        ("18", "Manoj Rao"),
        ("4", "Unknown group (4)"),
        ("28", "Mahipal singh"),
    }
    (window,) = vijay.windows.all()
    assert (window.weekday_mask, window.start_minute, window.end_minute) == (0b0111111, 0, 1380)
    brijendra = Agent.objects.get(agent_id="5")
    assert brijendra.parent_path == ",START,4,"
    assert [
        g.group_id for g in brijendra.groups.filter(name="Test_Group").order_by("group_id")
    ] == [
        "13",
        "15",
        "16",
    ]
    assert Agent.objects.get(agent_id="6").dids == ["918645313598"]
    manoj = Agent.objects.get(agent_id="8")
    assert [(w.weekday_mask, w.start_minute, w.end_minute) for w in manoj.windows.all()] == [
        (1 << 4, 0, 0)
    ]
    published = {str(a["unique_id"]) for a in published_agents()}
    assert published <= set(Agent.objects.values_list("agent_id", flat=True))


def test_a_second_sync_of_unchanged_data_writes_nothing(deepcall):
    agent_sync(trigger="command")
    before = dict(Agent.objects.values_list("agent_id", "synced_at"))
    run = agent_sync(trigger="ttl")
    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert f"{SANDBOX_LISTED_AGENTS} unchanged" in run.message
    assert dict(Agent.objects.values_list("agent_id", "synced_at")) == before


def test_a_resync_against_a_server_ignoring_page_stops_after_one_extra_call_and_keeps_all(
    deepcall,
):
    # The second sync recognises page 1's agents by their fingerprints without parsing them:
    # page 2, page 1 again, must still be caught as a repeat, and must delete nobody.
    agent_sync(trigger="command")
    before = set(Agent.objects.values_list("agent_id", flat=True))
    calls = deepcall.calls["list"]
    deepcall.set_faults(ignore_page=True)

    run = agent_sync(trigger="ttl")

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert deepcall.calls["list"] - calls == run.pages_fetched == 2
    assert "stopped early" in run.message and "0 removed" in run.message
    assert set(Agent.objects.values_list("agent_id", flat=True)) == before


def test_only_a_sync_that_changes_agents_changes_the_read_model_version(deepcall, settings):
    from agents.sandbox.data import DEFAULT_SEED

    agent_sync(trigger="command")
    first = sync_status().read_model_version
    assert first > 0
    agent_sync(trigger="ttl")  # nothing new: the caches keyed on the version stay good
    assert sync_status().read_model_version == first

    # The same agents with other names, hours and groups (another seed of the sandbox's data).
    with start_in_thread(agents=SANDBOX_TEST_AGENTS, seed=DEFAULT_SEED + 1) as other:
        settings.DEEPCALL_API_URL = other.url
        reset_deepcall_client()
        run = agent_sync(trigger="command")
    assert sync_status().read_model_version == run.pk > first
    # Every agent is counted once: new, changed (fields, hours or groups), removed or unchanged.
    new, changed, removed, unchanged = (int(n) for n in re.findall(r"(\d+) \w+", run.message)[:4])
    assert (new, removed) == (0, 0) and changed > 0
    assert changed + unchanged == SANDBOX_LISTED_AGENTS


def test_agents_removed_upstream_disappear(deepcall, settings):
    agent_sync(trigger="command")
    assert Agent.objects.count() == SANDBOX_LISTED_AGENTS
    with start_in_thread(agents=5) as smaller:
        settings.DEEPCALL_API_URL = smaller.url
        reset_deepcall_client()
        run = agent_sync(trigger="command")
    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert sorted(Agent.objects.values_list("agent_id", flat=True)) == ["2", "3", "4", "5", "6"]
    assert f"{SANDBOX_LISTED_AGENTS - 5} removed" in run.message
    assert WorkingWindow.objects.count() == 5
    # Groups nobody belongs to any more are gone from the filter too.
    assert not Group.objects.filter(agents=None).exists()


def test_api_down_keeps_the_last_good_data_and_records_the_failure(deepcall, no_retry_waits):
    agent_sync(trigger="command")
    deepcall.set_faults(error_rate=1.0)
    run = agent_sync(trigger="ttl")
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "DeepCall" in run.message and run.finished_at
    assert Agent.objects.count() == SANDBOX_LISTED_AGENTS
    status = sync_status()
    assert status.has_synced and status.last_error == run.message


def test_no_secret_reaches_any_table(deepcall):
    agent_sync(trigger="command")
    secrets = {
        str(agent[key])
        for agent in deepcall.state.dataset.agents
        for key in ("password", "call_pass")
    }
    assert "vijay123" in secrets
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                text = json.dumps([str(v) for v in row])
                found.extend(s for s in secrets if len(s) >= 6 and s in text)
    assert not found


def test_sync_request_queues_only_one_at_a_time(deepcall, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert agent_sync_request(trigger="ttl") is True  # never synced: stale
    assert agent_sync_request(trigger="button") is False  # one already queued
    assert SyncRun.objects.filter(outcome="running").count() == 1


def test_sync_request_runs_the_task_and_respects_the_ttl(deepcall, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert agent_sync_request(trigger="ttl") is True
    run = SyncRun.objects.get()
    assert run.outcome == SyncRun.Outcome.SUCCEEDED and run.trigger == "ttl"
    assert agent_sync_request(trigger="ttl") is False  # fresh now
    assert agent_sync_request(trigger="cad_job") is True  # after a CAD job: always
    settings.DEEPCALL_SYNC_TTL = 0
    reset_deepcall_client()
    assert agent_sync_request(trigger="ttl") is True
    assert SyncRun.objects.count() == 3


def planner_row_estimate(table: str) -> int | None:
    """How many rows the database's query planner believes `table` holds (None: no idea)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            estimate = cursor.fetchone()[0]
            return None if estimate < 0 else int(estimate)
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        row = cursor.fetchone()
        return int(row[0].split()[0]) if row else None


def test_the_first_sync_leaves_the_planner_knowing_the_table_sizes(deepcall):
    agent_sync(trigger="command")
    assert planner_row_estimate("agents_agent") == SANDBOX_LISTED_AGENTS
    assert planner_row_estimate("agents_workingwindow") == WorkingWindow.objects.count()


def test_sync_command(deepcall, capsys):
    call_command("sync_agents")
    assert f"Synced {SANDBOX_LISTED_AGENTS} agents" in capsys.readouterr().out


def test_search_text_and_numeric_sort_key():
    assert agent_search_text(agent_id="7", name="Ann LEE", email="A@x.io", phone="91") == (
        "ann lee a@x.io 91 7"
    )
    assert agent_id_sort_key("42") == 42
    assert agent_id_sort_key("ab12") == 0
    assert agent_id_sort_key("9" * 30) == 0


def test_long_values_from_the_api_are_stored_whole():
    """The API sets no length limits: a long name, address or id must neither fail the sync on
    PostgreSQL (which enforces column sizes, where SQLite does not) nor be cut short."""
    long_id = "agent-" + "x" * 58  # 64 characters, the longest id the client accepts
    raw = {
        "unique_id": long_id,
        "name": "N" * 300,
        "email": "e" * 300 + "@example.com",
        "phone": "9" * 80,
        "address": "A" * 2000,
        "dest_type": "S" * 40,
        "dest_value": "d" * 300,
        "role": "r" * 40,
        "roleName": "R" * 300,
        "parent": ",START," + "4," * 300,
        "group": ["g" * 64],
        "groupNames": [{"g" * 64: "G" * 300}],
        "working": [{"wDays": ["MON"], "from": 540, "to": 1020}],
    }
    record = parse_agent(raw)
    read_model_write_listing(AgentListing(agents=(record,)), now=timezone.now())

    agent = Agent.objects.get(agent_id=long_id)
    assert (agent.name, agent.address, agent.role_name) == ("N" * 300, "A" * 2000, "R" * 300)
    assert agent.email == record.email and agent.phone == "9" * 80
    assert (agent.dest_type, agent.dest_value, agent.role_id) == ("S" * 40, "d" * 300, "r" * 40)
    assert agent.parent_path == record.parent_path
    assert [(g.group_id, g.name) for g in agent.groups.all()] == [("g" * 64, "G" * 300)]


# --- unreadable agents anywhere ---------------------------------------------------------------


def page_ids(sandbox, page, *, deleted=True):
    """The ids the sandbox lists on `page`; without those listed as deleted if asked."""
    size = sandbox.state.page_size
    agents = sandbox.state.dataset.agents[(page - 1) * size : page * size]
    return [str(a["unique_id"]) for a in agents if deleted or not a.get("isDeleted")]


def test_a_whole_page_of_unreadable_agents_never_ends_the_sync(deepcall):
    broken = [*page_ids(deepcall, 2), page_ids(deepcall, 3)[5]]
    deepcall.set_faults(unreadable_ids=broken)

    run = agent_sync(trigger="command")

    assert run.outcome == SyncRun.Outcome.SUCCEEDED, run.message
    held = set(Agent.objects.values_list("agent_id", flat=True))
    readable = {*page_ids(deepcall, 1, deleted=False), *page_ids(deepcall, 3, deleted=False)}
    assert held == readable - set(broken)  # every readable agent of every page, page 3's too
    assert run.skipped_count == len(broken) == 101
    assert run.pages_fetched == 3 and "stopped early" not in run.message


def test_agents_unreadable_this_time_are_kept_and_the_rest_still_synced(deepcall):
    agent_sync(trigger="command")
    held = Agent.objects.count()
    broken = page_ids(deepcall, 2)
    deepcall.set_faults(unreadable_ids=broken)

    run = agent_sync(trigger="command")

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    assert Agent.objects.count() == held  # nobody removed for being unreadable
    assert "0 removed" in run.message and "100 unreadable agent(s) skipped" in run.message


def test_the_status_page_counts_the_skipped_agents_never_shows_them(admin_client, deepcall):
    broken = page_ids(deepcall, 2, deleted=False)[:3]
    deepcall.set_faults(unreadable_ids=broken)
    run = agent_sync(trigger="command")

    page = admin_client.get("/status/").content.decode()

    assert run.agent_count == Agent.objects.count()
    assert f"{run.agent_count} agents; 3 unreadable agents skipped" in page
    names = set(
        deepcall.state.dataset.by_id[i]["name"] for i in broken
    )  # what an unreadable agent holds is never shown
    assert not any(name in page for name in names)


def read_model_indexes() -> dict[str, dict]:
    tables = [m._meta.db_table for m in (Agent, WorkingWindow, Agent.groups.through)]
    with connection.cursor() as cursor:
        return {
            table: {
                name: (c["columns"], c["unique"], c["index"])
                for name, c in connection.introspection.get_constraints(cursor, table).items()
            }
            for table in tables
        }


def test_a_first_load_leaves_every_index_of_the_read_model_as_it_was(deepcall):
    before = read_model_indexes()

    agent_sync(trigger="command")

    assert Agent.objects.count() == SANDBOX_LISTED_AGENTS
    assert read_model_indexes() == before


def test_a_first_load_that_fails_half_way_leaves_no_agent_and_every_index(deepcall, no_retry_waits):
    before = read_model_indexes()
    deepcall.set_faults(expire_after=1)  # page 1 answers, page 2 says the token expired

    run = agent_sync(trigger="command")

    assert run.outcome == SyncRun.Outcome.FAILED
    assert not Agent.objects.exists() and not WorkingWindow.objects.exists()
    assert read_model_indexes() == before


def test_agents_with_an_out_of_date_digest_are_compared_in_full_and_not_rewritten(deepcall):
    agent_sync(trigger="command")
    synced_at = dict(Agent.objects.values_list("agent_id", "synced_at"))
    Agent.objects.update(sync_digest="")  # as after the migration that added the digest

    run = agent_sync(trigger="command")

    assert f"0 new, 0 changed, 0 removed, {Agent.objects.count()} unchanged" in run.message
    assert dict(Agent.objects.values_list("agent_id", "synced_at")) == synced_at
    assert not Agent.objects.filter(sync_digest="").exists()


def test_an_unexpected_error_fails_the_run_at_once_and_keeps_the_copy(deepcall, monkeypatch):
    agent_sync(trigger="command")
    held = Agent.objects.count()

    def broken(self, records):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ReadModelWriter, "apply_page", broken)
    with pytest.raises(RuntimeError):
        agent_sync(trigger="command")

    run = SyncRun.objects.order_by("-started_at").first()
    assert run.outcome == SyncRun.Outcome.FAILED and "unexpected error" in run.message
    assert sync_status().in_progress is None and sync_status().last_error == run.message
    assert Agent.objects.count() == held


def _listing_of_groups(groups_by_agent: dict[str, list[str]]) -> AgentListing:
    return AgentListing(
        agents=tuple(
            parse_agent(
                {
                    "unique_id": agent_id,
                    "name": f"Agent {agent_id}",
                    "group": groups,
                    "groupNames": [{group_id: f"Team {group_id}"} for group_id in groups],
                }
            )
            for agent_id, groups in groups_by_agent.items()
        )
    )


def _in_scope(*group_ids: str) -> list[str]:
    with team_scope_active(TeamScope.of_groups(group_ids)):
        return sorted(agents_in_scope().values_list("agent_id", flat=True))


def test_a_team_scope_follows_each_sync_of_the_agents_groups_by_exact_id():
    """The scope tests the groups the sync wrote on each agent's row: ids are opaque, so one
    differing only in case, a prefix of another or one with LIKE's wildcards selects only its
    own agents; an agent moved to another group leaves the old group's scope at the next sync."""
    read_model_write_listing(
        _listing_of_groups({"1": ["ab", "5_1"], "2": ["AB"], "3": ["501"], "4": []}),
        now=timezone.now(),
    )
    assert _in_scope("ab") == ["1"]
    assert _in_scope("AB") == ["2"]
    assert _in_scope("5_1") == ["1"]
    assert _in_scope("50") == _in_scope("5%") == _in_scope("01") == []
    assert _in_scope("501", "AB") == ["2", "3"]

    read_model_write_listing(
        _listing_of_groups({"1": ["AB"], "2": ["AB"], "3": ["501", "ab"], "4": ["ab"]}),
        now=timezone.now(),
    )
    assert _in_scope("ab") == ["3", "4"]
    assert _in_scope("AB") == ["1", "2"]
    assert _in_scope("5_1") == []
    for agent in Agent.objects.all():  # the row's keys are the links' groups, each once
        linked = sorted(agent.groups.values_list("group_id", flat=True))
        assert agent.group_keys == group_keys_for(linked)


def test_the_migration_fills_in_the_groups_of_agents_already_held():
    read_model_write_listing(
        _listing_of_groups({"1": ["ab", "5_1"], "2": ["AB"], "3": []}), now=timezone.now()
    )
    Agent.objects.update(group_keys="")  # as before the migration that added the column
    assert _in_scope("ab", "AB") == []

    fill_group_keys(django_apps, None)

    assert _in_scope("ab") == ["1"] and _in_scope("AB") == ["2"]
    assert Agent.objects.get(agent_id="3").group_keys == ""


def test_the_scope_index_is_sqlites_only():
    """On SQLite a scoped deep page reads each agent's groups from the default order's index;
    PostgreSQL has none (an agent in a few hundred groups would pass its index entry limit)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Agent._meta.db_table)
    if connection.vendor == "sqlite":
        assert constraints[SCOPE_INDEX]["columns"] == ["agent_id_sort", "agent_id", "group_keys"]
    else:
        assert SCOPE_INDEX not in constraints
