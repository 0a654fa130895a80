"""The scope selectors: what each kind of data gives within a scope, a group filter inside or
outside it, and cached counts kept apart per scope."""

import pytest
from django.utils import timezone

from agents.models import Agent, AgentChange, Group, SyncRun
from agents.services.agent_changes import ChangeFilters, changes_matching
from agents.services.agent_queries import (
    AgentFilters,
    agent_directory_listing,
    agent_directory_order,
    agent_matching_count,
    agent_page_rows,
    agents_matching,
)
from agents.team_scope import WHOLE_ACCOUNT, TeamScope, parse_group_ids, team_scope_active
from tests.fixtures.agents import make_agent

pytestmark = pytest.mark.django_db

NORTH = TeamScope.of_groups(["501"])


@pytest.fixture
def agents(db):
    make_agent(1, "North Only", groups=["501"])
    make_agent(2, "South Only", groups=["502"])
    make_agent(3, "Both Teams", groups=["501", "502"])
    make_agent(4, "No Team")
    for agent_id, groups in (("1", ["501"]), ("2", ["502"]), ("3", ["501", "502"])):
        AgentChange.objects.create(
            recorded_at=timezone.now(),
            agent_id=agent_id,
            kind=AgentChange.Kind.ADDED,
            group_keys=AgentChange.group_keys_for(groups),
        )
    return {g.group_id: g.pk for g in Group.objects.all()}


def ids(queryset) -> list[str]:
    return sorted(queryset.values_list("agent_id", flat=True))


def test_an_agent_is_in_scope_when_any_of_its_groups_is(agents):
    with team_scope_active(NORTH):
        assert ids(agents_matching(AgentFilters())) == ["1", "3"]
    with team_scope_active(WHOLE_ACCOUNT):
        assert ids(agents_matching(AgentFilters())) == ["1", "2", "3", "4"]


def test_a_group_filter_never_reaches_outside_the_scope(agents):
    with team_scope_active(NORTH):
        assert ids(agents_matching(AgentFilters(group_pks=(agents["501"],)))) == ["1", "3"]
        assert ids(agents_matching(AgentFilters(group_pks=(agents["502"],)))) == ["3"]
        assert [c.agent_id for c in changes_matching(ChangeFilters(group_id="502"))] == ["3"]
        assert sorted(c.agent_id for c in changes_matching(ChangeFilters())) == ["1", "3"]


def test_the_change_history_of_a_scope_matches_group_ids_exactly(db):
    """Ids are opaque: "ab" and "AB" are two groups (SQLite's LIKE would take them as one),
    "5_1" is not a pattern, and "50" is not part of "501"."""
    for agent_id, groups in (("1", ["ab"]), ("2", ["AB"]), ("3", ["501"]), ("4", ["5_1"])):
        AgentChange.objects.create(
            recorded_at=timezone.now(),
            agent_id=agent_id,
            kind=AgentChange.Kind.ADDED,
            group_keys=AgentChange.group_keys_for(groups),
        )

    def changed(scope: str, group_filter: str = "") -> list[str]:
        with team_scope_active(TeamScope.of_groups([scope])):
            changes = changes_matching(ChangeFilters(group_id=group_filter))
            return sorted(change.agent_id for change in changes)

    assert changed("ab") == changed("ab", group_filter="ab") == ["1"]
    assert changed("AB") == ["2"]
    assert changed("5_1") == ["4"]
    assert changed("50") == changed("5%") == []


def test_cached_counts_are_kept_apart_per_scope(agents):
    with team_scope_active(WHOLE_ACCOUNT):
        assert agent_matching_count(AgentFilters(active=True)) == 4
    with team_scope_active(NORTH):
        assert agent_matching_count(AgentFilters(active=True)) == 2
    with team_scope_active(TeamScope.of_groups(["599"])):  # a group with no agents now
        assert agent_matching_count(AgentFilters(active=True)) == 0


def test_group_ids_are_read_from_commas_and_an_empty_list_is_refused():
    assert parse_group_ids(" 501, 502 ,,") == frozenset({"501", "502"})
    with pytest.raises(ValueError, match="at least one group id"):
        parse_group_ids(" , ")


def test_a_scope_holds_its_own_groups_and_fewer_and_only_the_whole_account_holds_it():
    both = TeamScope.of_groups(["501", "502"])
    assert both.holds(NORTH) and both.holds(both) and both.holds(TeamScope.of_groups([]))
    assert not NORTH.holds(both) and not NORTH.holds(WHOLE_ACCOUNT)
    assert WHOLE_ACCOUNT.holds(both) and WHOLE_ACCOUNT.holds(WHOLE_ACCOUNT)


def test_a_recorded_scope_reads_back_as_the_scope_it_was():
    from agents.services.team_scopes import team_scope_record, team_scope_recorded

    for scope in (
        WHOLE_ACCOUNT,
        NORTH,
        TeamScope.of_groups(["ab", "AB", "5*01"]),
        TeamScope.of_groups([]),
    ):
        assert team_scope_recorded(team_scope_record(scope)) == scope
    # A group named "*" is not the whole account.
    assert team_scope_recorded(team_scope_record(TeamScope.of_groups(["*"]))) != WHOLE_ACCOUNT


def directory_page(number: int, *, sort: str = "id", descending: bool = False, per_page=2):
    listing = agent_directory_listing(filters=AgentFilters())
    ordered = agent_directory_order(listing, sort=sort, descending=descending)
    start = (number - 1) * per_page
    return [agent.name for agent in agent_page_rows(ordered[start : start + per_page])]


def new_sync() -> None:
    """A sync that changed agents: the read model's version moves on."""
    now = timezone.now()
    run = SyncRun.objects.create(started_at=now, finished_at=now, outcome=SyncRun.Outcome.SUCCEEDED)
    SyncRun.objects.filter(pk=run.pk).update(read_model_version=run.pk)


def test_a_scoped_directory_pages_through_its_own_agents_in_order_and_follows_each_sync(agents):
    """A team scope's pages come from its agents in order (kept per read-model version), not
    from walking the whole account: each page holds the next agents in scope, sorted either
    way, and a sync that adds an agent to the scope shows it."""
    make_agent(5, "Another North", groups=["501"])
    make_agent(6, "Late North", groups=["501", "503"])
    with team_scope_active(NORTH):
        assert directory_page(1) == ["North Only", "Both Teams"]
        assert directory_page(2) == ["Another North", "Late North"]
        assert directory_page(1, descending=True) == ["Late North", "Another North"]
        assert directory_page(2, sort="name") == ["Late North", "North Only"]

        make_agent(7, "New North", groups=["501"])
        Agent.objects.filter(agent_id="1").delete()
        assert directory_page(2) == ["Another North", "Late North"]  # until the sync is seen
        new_sync()
        assert directory_page(1) == ["Both Teams", "Another North"]
        assert directory_page(2) == ["Late North", "New North"]
    with team_scope_active(WHOLE_ACCOUNT):
        assert directory_page(2) == ["No Team", "Another North"]
