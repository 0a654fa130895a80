"""Agent/list: the published agents, filters, paging and both response shapes."""

import json

import pytest

from agents.sandbox.server import start_in_thread
from tests.fixtures.sandbox import SANDBOX_TEST_AGENTS, SANDBOX_TEST_PAGE_SIZE
from tests.sandbox.support import SSID, TOKEN, all_agents, api, call, published_example

PAGING_KEYS = [
    "response",
    "agtLimit",
    "currentPage",
    "totalPages",
    "totalRecords",
    "status",
    "code",
]


def canonical(value) -> str:
    # Key order counts: compare the compact serialisation, not just equality of dicts.
    return json.dumps(value, ensure_ascii=False)


def test_the_seven_published_agents_come_first_byte_for_byte(sandbox):
    answer = json.loads(call(sandbox, "list", SSID).content)  # dicts keep the wire's key order
    published = published_example()["response"]
    assert canonical(answer["response"][:7]) == canonical(published)


def test_a_sandbox_of_the_published_agents_answers_the_published_answer():
    with start_in_thread(agents=7) as running:
        answer = json.loads(call(running, "list", TOKEN).content)
    assert canonical(answer) == canonical(published_example())


def test_secrets_are_served_like_the_real_api_so_tests_can_prove_they_never_leak(sandbox):
    agents = all_agents(sandbox)
    assert all(agent["password"] and agent["call_pass"] for agent in agents)


def test_the_answer_has_the_published_keys_and_paging(sandbox):
    answer = api(sandbox, "list")
    assert list(answer) == PAGING_KEYS
    assert answer["currentPage"] == 1
    assert answer["totalRecords"] == SANDBOX_TEST_AGENTS
    assert answer["totalPages"] == SANDBOX_TEST_AGENTS // SANDBOX_TEST_PAGE_SIZE
    assert len(answer["response"]) == SANDBOX_TEST_PAGE_SIZE
    assert answer["agtLimit"] >= SANDBOX_TEST_AGENTS


def test_paging_covers_every_agent_once_in_id_order(sandbox):
    agents = all_agents(sandbox)
    ids = [agent["unique_id"] for agent in agents]
    assert len(ids) == SANDBOX_TEST_AGENTS == len(set(ids))
    assert ids == sorted(ids)
    assert ids[:8] == [2, 3, 4, 5, 6, 8, 9, 100]


def test_page_is_one_based_and_accepts_a_digit_string(sandbox):
    assert api(sandbox, "list", page="2")["response"] == api(sandbox, "list", page=2)["response"]
    second = api(sandbox, "list", page=2)
    assert second["currentPage"] == 2
    assert (
        second["response"][0]["unique_id"] == api(sandbox, "list")["response"][-1]["unique_id"] + 1
    )


def test_a_page_past_the_end_is_empty(sandbox):
    answer = api(sandbox, "list", page=99)
    assert answer["response"] == []
    assert answer["currentPage"] == 99
    assert answer["totalRecords"] == SANDBOX_TEST_AGENTS


def test_the_page_size_is_a_setting(sandbox):
    sandbox.set_page_size(7)
    answer = api(sandbox, "list")
    assert len(answer["response"]) == 7
    assert answer["totalPages"] == -(-SANDBOX_TEST_AGENTS // 7)


def test_agent_id_filter_answers_one_agent(sandbox):
    for agent_id in ("5", 5, "150"):
        answer = api(sandbox, "list", agentId=agent_id)
        assert [a["unique_id"] for a in answer["response"]] == [int(agent_id)]
        assert answer["totalRecords"] == answer["totalPages"] == 1


def test_an_unknown_agent_id_answers_an_empty_list(sandbox):
    answer = api(sandbox, "list", agentId="99999")
    assert answer["status"] == "success"
    assert answer["response"] == []
    assert answer["totalRecords"] == 0


def test_name_filter_is_partial_and_case_insensitive(sandbox):
    answer = api(sandbox, "list", name="BHAW")
    names = [a["name"] for a in answer["response"]]
    assert names[:3] == ["bhawesh", "bhawesh", "Bhawna"]
    assert all("bhaw" in name.lower() for name in names)
    assert answer["totalRecords"] == len(names)


def test_group_filter_answers_members_of_that_group_only(sandbox):
    members = all_agents(sandbox, groupid="17")
    assert {2, 4, 5, 6} <= {a["unique_id"] for a in members}
    assert all(17 in a["group"] for a in members)
    everyone = all_agents(sandbox)
    assert len(members) == sum(17 in a["group"] for a in everyone)


def test_filters_combine(sandbox):
    answer = api(sandbox, "list", groupid=17, name="bhawesh")
    assert [a["unique_id"] for a in answer["response"]] == [2]


def test_quick_answers_minimal_agents(sandbox):
    agent = api(sandbox, "list", quick=True)["response"][0]
    assert agent == {"name": "bhawesh", "unique_id": 2, "status": 1, "group": [17, 4, 28]}


def test_cad_field_is_added_only_when_asked(sandbox):
    assert "cad" not in api(sandbox, "list")["response"][0]
    sandbox.set_cad_on(["2"])
    agents = api(sandbox, "list", withCad=True)["response"]
    assert [a["cad"] for a in agents[:2]] == ["1", "0"]


def test_the_map_shape_keys_agents_by_id_with_nm(sandbox):
    sandbox.set_faults(map_shape=True)
    answer = api(sandbox, "list")
    assert isinstance(answer["response"], dict)
    assert list(answer["response"])[:3] == ["2", "3", "4"]
    first = answer["response"]["2"]
    assert first["nm"] == "bhawesh"
    assert "name" not in first and "unique_id" not in first
    assert answer["totalRecords"] == SANDBOX_TEST_AGENTS
    assert len(answer["response"]) == SANDBOX_TEST_PAGE_SIZE


def test_the_map_shape_pages_too(sandbox):
    sandbox.set_faults(map_shape=True)
    ids = []
    for page in (1, 2, 3):
        ids.extend(api(sandbox, "list", page=page)["response"])
    assert len(ids) == len(set(ids)) == SANDBOX_TEST_AGENTS


@pytest.mark.parametrize("page", [2, 3, 50])
def test_ignore_page_always_answers_page_one(sandbox, page):
    first = api(sandbox, "list")
    sandbox.set_faults(ignore_page=True)
    answer = api(sandbox, "list", page=page)
    assert answer["currentPage"] == 1
    assert answer["response"] == first["response"]
    assert answer["totalPages"] == first["totalPages"]


def test_unreadable_ids_send_those_agents_with_hours_and_status_nobody_can_read(sandbox):
    first = api(sandbox, "list")["response"]
    chosen = str(first[1]["unique_id"])
    sandbox.set_faults(unreadable_ids=[chosen])
    answer = api(sandbox, "list")["response"]
    garbled = [a for a in answer if str(a["unique_id"]) == chosen]
    assert [(a["working"], a["status"]) for a in garbled] == [("unreadable", "unknown")]
    assert [a for a in answer if str(a["unique_id"]) != chosen] == first[:1] + first[2:]
