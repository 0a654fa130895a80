"""The one selector from a stored selection to agents: the job's agents, the bulk bar's count
and the page's ticks are the same set."""

import pytest

from agents.services.agent_queries import AgentFilters
from agents.services.agent_selection import (
    agents_selected,
    agents_selected_among,
    agents_selected_count,
)
from tests.fixtures.agents import create_agents


def ids(agents) -> set[str]:
    return set(agents.values_list("agent_id", flat=True))


@pytest.mark.django_db
def test_picked_ids_select_the_agents_the_copy_holds_and_count_only_those():
    create_agents(range(1, 11))
    picked = {"2", "3", "99"}  # 99 is not in the read model (gone since it was ticked)

    assert ids(agents_selected(agent_ids=picked)) == {"2", "3"}
    assert agents_selected_count(agent_ids=picked) == 2
    assert agents_selected_among(["1", "2", "3", "4"], agent_ids=picked) == {"2", "3"}


@pytest.mark.django_db
def test_all_matching_minus_exclusions_is_one_set_for_the_job_the_count_and_the_ticks():
    create_agents(range(1, 21), active=lambda n: n % 2 == 0)
    active = AgentFilters(active=True)
    excluded = {"4", "5", "6"}  # 5 is inactive: excluding it changes nothing

    selected = ids(agents_selected(matching=active, excluded_ids=excluded))

    assert selected == {str(n) for n in range(2, 21, 2)} - {"4", "6"}
    assert agents_selected_count(matching=active, excluded_ids=excluded) == len(selected) == 8
    page = [str(n) for n in range(1, 11)]
    assert agents_selected_among(page, matching=active, excluded_ids=excluded) == {
        "2",
        "8",
        "10",
    }


@pytest.mark.django_db
def test_all_matching_ignores_picked_ids_and_an_empty_page_ticks_nothing():
    create_agents(range(1, 6), active=lambda n: n != 3)
    active = AgentFilters(active=True)

    assert ids(agents_selected(matching=active, agent_ids={"3"})) == {"1", "2", "4", "5"}
    assert agents_selected_count(matching=active) == 4
    assert agents_selected_among([], matching=active) == frozenset()
