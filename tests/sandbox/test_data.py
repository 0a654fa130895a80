"""The generated agents: deterministic, realistic, and shaped like the published ones."""

import pytest

from agents.sandbox.data import (
    FIRST_GENERATED_ID,
    GROUPS,
    MAX_AGENT_COUNT,
    WEEKDAYS,
    build_dataset,
    generate_agents,
    published_agents,
)
from tests.sandbox.support import published_example


def test_generation_is_deterministic_for_a_seed():
    assert generate_agents(500, seed=7) == generate_agents(500, seed=7)
    assert generate_agents(50, seed=7) != generate_agents(50, seed=8)


def test_a_larger_data_set_extends_a_smaller_one():
    assert build_dataset(1000).agents[:300] == build_dataset(300).agents


def test_published_agents_are_the_example_verbatim():
    assert published_agents() == published_example()["response"]


def test_the_count_includes_the_published_agents():
    dataset = build_dataset(300)
    ids = [a["unique_id"] for a in dataset.agents]
    assert len(ids) == 300
    assert ids[:7] == [2, 3, 4, 5, 6, 8, 9]
    assert ids[7:] == list(range(FIRST_GENERATED_ID, FIRST_GENERATED_ID + 293))
    assert [a["unique_id"] for a in build_dataset(3).agents] == [2, 3, 4]


def test_the_count_is_bounded():
    with pytest.raises(ValueError, match="between 0 and"):
        build_dataset(MAX_AGENT_COUNT + 1)


def test_generated_agents_have_the_published_keys_in_order():
    keys = list(published_example()["response"][0])
    assert all(list(agent) == keys for agent in generate_agents(300))


def test_generated_agents_cover_the_api_quirks():
    agents = generate_agents(2000)
    statuses = {repr(a["status"]) for a in agents}
    assert statuses == {"1", "0", "'1'", "'0'"}
    assert {a["dest_type"] for a in agents} == {"MOBILE", "SIP", "LANDLINE"}
    assert any(isinstance(a["allowDid"], list) and a["allowDid"] for a in agents)
    assert any(a["allowDid"] == "" for a in agents)
    assert any(a["group"] == [] for a in agents)
    windows = [w for a in agents for w in a["working"]]
    assert any(w["to"] < w["from"] for w in windows)  # overnight
    assert any((w["from"], w["to"]) == (0, 1439) and len(w["wDays"]) == 7 for w in windows)
    assert any((w["from"], w["to"]) == (0, 0) for w in windows)  # no hours set
    assert any(len(a["working"]) >= 2 for a in agents)
    assert any(a["working"] == [] for a in agents)
    assert all(set(w["wDays"]) <= set(WEEKDAYS) for w in windows)
    assert sum(a["phone"].startswith("91") and len(a["phone"]) == 12 for a in agents) > 1800
    assert all(a["password"] and a["call_pass"].isdigit() for a in agents)
    assert len({a["email"] for a in agents}) == len(agents)


def test_group_names_match_group_ids_and_repeat():
    for agent in generate_agents(500):
        assert [next(iter(g)) for g in agent["groupNames"]] == [str(g) for g in agent["group"]]
        assert all(GROUPS[int(k)] == v for g in agent["groupNames"] for k, v in g.items())
    names = list(GROUPS.values())
    assert len(GROUPS) >= 25
    assert names.count("Sales") == 2
    assert any(name.startswith("Unknown group (") for name in names)


def test_one_agent_carries_markup_for_escaping_tests():
    assert "<script>" in generate_agents(1)[0]["address"]


def test_the_largest_dataset_has_every_agent_once():
    # How fast it is generated is measured by bench/sandbox_bench.py, not here.
    dataset = build_dataset(MAX_AGENT_COUNT)
    assert len(dataset.agents) == MAX_AGENT_COUNT
    assert len({agent["unique_id"] for agent in dataset.agents}) == MAX_AGENT_COUNT
