"""JSON → records: the real example, both shapes, tolerance, skipping, and no secret kept."""

import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from agents.deepcall import UpstreamUnavailableError, parsing
from agents.deepcall.parsing import (
    NO_ANSWER_MESSAGE,
    parse_agent,
    parse_agent_page,
    parse_cad_answer,
)
from agents.deepcall.records import AgentRecord, CadOutcome, GroupRef, WorkingWindow

from .conftest import example_list, example_secrets, load

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def agent(**fields) -> dict:
    return {"unique_id": 1, "name": "Asha", **fields}


def page(*agents, **extra) -> dict:
    return {"status": "success", "code": 200, "response": list(agents), **extra}


def by_id(parsed):
    return {a.agent_id: a for a in parsed.agents}


def test_real_example_parses_into_its_seven_agents():
    parsed = parse_agent_page(example_list())

    assert [a.agent_id for a in parsed.agents] == ["2", "3", "4", "5", "6", "8", "9"]
    assert parsed.skipped == ()
    assert (parsed.current_page, parsed.total_pages, parsed.total_records) == (1, 1, 7)


def test_real_example_first_agent_has_every_field():
    first = by_id(parse_agent_page(example_list()))["2"]

    assert first == AgentRecord(
        agent_id="2",
        name="bhawesh",
        email="bbx12345@gmail.com",
        phone="918442021533",
        address="jaipur",
        dest_type="MOBILE",
        dest_value="8442021533",
        role_id="1",
        role_name="test",
        is_active=True,
        created_at=datetime.fromtimestamp(1720093436, tz=UTC),
        parent_path=",START,",
        groups=(
            GroupRef("17", "Perm"),
            GroupRef("4", "Unknown group (4)"),
            GroupRef("28", "Mahipal singh"),
        ),
        windows=(WorkingWindow((TUE, WED), 60, 360),),
        dids=(),
        pending_deletion=True,  # preDeleted: 1 in the published answer
    )


def test_real_example_groups_names_and_windows():
    agents = by_id(parse_agent_page(example_list()))

    assert [(g.group_id, g.name) for g in agents["5"].groups] == [
        ("13", "Test_Group"),
        ("4", "Unknown group (4)"),
        ("15", "Test_Group"),
        ("16", "Test_Group"),
        ("17", "Perm"),
    ]
    assert agents["4"].groups[1] == GroupRef("18", "Manoj Rao")
    assert agents["5"].windows == (WorkingWindow((MON, TUE, WED, THU, FRI, SAT, SUN), 0, 1439),)
    assert agents["4"].windows == (WorkingWindow((MON, TUE, WED, THU, FRI, SAT), 0, 1380),)
    assert agents["6"].windows == (WorkingWindow((MON, TUE, WED, THU, FRI), 540, 1260),)
    assert agents["8"].windows == (WorkingWindow((FRI,), 0, 0),)
    assert agents["8"].groups == () and agents["9"].groups == ()
    assert agents["6"].dids == ("918645313598",)
    assert agents["5"].parent_path == ",START,4,"


def test_no_secret_of_the_example_survives_parsing():
    parsed = parse_agent_page(example_list())
    secrets = example_secrets()
    assert len(secrets) == 14

    dumps = [repr(parsed), str(dataclasses.asdict(parsed)), pickle.dumps(parsed).decode("latin1")]
    for record in parsed.agents:
        dumps.append(repr(record))
        dumps.append(str(dataclasses.asdict(record)))
        # Slotted records have no instance dict that could smuggle an extra attribute in.
        assert not hasattr(record, "__dict__")
        with pytest.raises(TypeError):
            vars(record)
    field_names = {f.name for f in dataclasses.fields(AgentRecord)}
    assert not field_names & {"password", "call_pass"}
    for text in dumps:
        for secret in secrets:
            assert secret not in text


def test_map_shape_keyed_by_id_with_nm():
    body = {
        "status": "success",
        "code": 200,
        "response": {
            "31": {
                "nm": "Ravi",
                "email": "r@example.com",
                "group": [2],
                "status": 1,
                "password": "hunter2",
                "call_pass": "12345678",
            },
            "32": {"nm": "Meera", "status": 0},
        },
    }

    parsed = parse_agent_page(body)

    assert [(a.agent_id, a.name, a.is_active) for a in parsed.agents] == [
        ("31", "Ravi", True),
        ("32", "Meera", False),
    ]
    assert parsed.agents[0].groups == (GroupRef("2", "Group 2"),)
    assert "hunter2" not in repr(parsed) and "12345678" not in repr(parsed)


def test_numbers_sent_as_strings_are_read():
    raw = agent(
        unique_id="12",
        status="0",
        create_date="1720093436",
        role=1,
        phone=918442021533,
        group=["17", 4],
        groupNames=[{"17": "Perm"}],
        working=[{"wDays": ["mon", "FRI"], "from": "60", "to": "360"}],
    )

    record = parse_agent_page(page(raw)).agents[0]

    assert record.agent_id == "12"
    assert record.is_active is False
    assert record.created_at == datetime.fromtimestamp(1720093436, tz=UTC)
    assert record.role_id == "1"
    assert record.phone == "918442021533"
    assert record.groups == (GroupRef("17", "Perm"), GroupRef("4", "Group 4"))
    assert record.windows == (WorkingWindow((MON, FRI), 60, 360),)


def test_missing_optional_fields_take_defaults():
    record = parse_agent_page(page({"unique_id": 7, "name": "Only"})).agents[0]

    assert record == AgentRecord(agent_id="7", name="Only")


def test_group_named_only_in_group_names_still_counts_and_unnamed_gets_a_label():
    raw = agent(group=[12], groupNames=[{"30": "Night"}, {"12": ""}])

    record = parse_agent_page(page(raw)).agents[0]

    assert record.groups == (GroupRef("12", "Group 12"), GroupRef("30", "Night"))


def test_malformed_agents_are_skipped_and_reported_the_rest_still_parse():
    body = page(
        agent(unique_id=1),
        {"name": "No id", "password": "pw-no-id"},
        "not an object",
        agent(unique_id=3, name=""),
        agent(unique_id=4, working=[{"wDays": ["XYZ"], "from": 0, "to": 10}]),
        agent(unique_id=5, working=[{"wDays": ["MON"], "from": 0, "to": 5000}]),
        agent(unique_id=6, status="maybe", password="pw-six"),
        agent(unique_id=7),
    )

    parsed = parse_agent_page(body)

    assert [a.agent_id for a in parsed.agents] == ["1", "7"]
    assert [(s.agent_id, s.reason) for s in parsed.skipped] == [
        ("", "no usable unique_id"),
        ("", "the entry is not an object"),
        ("3", "no name"),
        ("4", "working window has an unknown weekday"),
        ("5", "working window to is out of range"),
        ("6", "status is neither 0 nor 1"),
    ]
    assert "pw-" not in repr(parsed)


def test_digits_python_reads_but_int_does_not_never_end_the_page():
    # "²" is a digit to str.isdigit() but not to int(): a parser trusting isdigit() would raise
    # on such an agent and end the whole sync.
    body = page(
        agent(unique_id=1),
        agent(unique_id=2, status="²"),
        agent(unique_id="³"),
        agent(unique_id=4, create_date="¹²"),
        agent(unique_id=5, working=[{"wDays": ["MON"], "from": "⁵", "to": 10}]),
        agent(unique_id=6, isDeleted="¹"),
        agent(unique_id=7),
    )

    parsed = parse_agent_page(body)

    assert [a.agent_id for a in parsed.agents] == ["1", "³", "4", "7"]
    assert parsed.agents[2].created_at is None
    assert [(s.agent_id, s.reason) for s in parsed.skipped] == [
        ("2", "status is neither 0 nor 1"),
        ("5", "from is not a number"),
        ("6", "isDeleted is neither 0 nor 1"),
    ]


def test_any_error_reading_one_agent_skips_it_without_quoting_a_value(monkeypatch):
    real_dids = parsing._dids

    def failing_dids(value):
        if value == ["secret-did"]:
            raise ValueError("invalid literal for int(): 'secret-did'")
        return real_dids(value)

    monkeypatch.setattr(parsing, "_dids", failing_dids)
    body = page(agent(unique_id=1), agent(unique_id=2, allowDid=["secret-did"]), agent(unique_id=3))

    parsed = parse_agent_page(body)

    assert [a.agent_id for a in parsed.agents] == ["1", "3"]
    assert [(s.agent_id, s.reason) for s in parsed.skipped] == [("2", "a field could not be read")]
    assert "secret-did" not in repr(parsed)


def test_ids_are_opaque_nothing_is_skipped_for_its_characters():
    odd = ["a/b", "..", ".", "agent 7?#%", "1001,1002", "ज़ेड", "x" * 64, " 7", "7 ", "007"]
    body = page(*(agent(unique_id=i) for i in odd), agent(unique_id="x" * 65))

    parsed = parse_agent_page(body)

    assert [a.agent_id for a in parsed.agents] == odd
    assert [(s.agent_id, s.reason) for s in parsed.skipped] == [("", "no usable unique_id")]


def test_a_blank_id_is_no_id():
    parsed = parse_agent_page(page(agent(unique_id="   "), agent(unique_id="8")))

    assert [a.agent_id for a in parsed.agents] == ["8"]
    assert [s.reason for s in parsed.skipped] == ["no usable unique_id"]


def test_duplicate_ids_within_a_page_are_kept_once():
    parsed = parse_agent_page(page(agent(unique_id=1, name="A"), agent(unique_id="1", name="B")))

    assert [(a.agent_id, a.name) for a in parsed.agents] == [("1", "A")]


def test_empty_and_missing_working_and_dids():
    raw = agent(working=None, allowDid="")

    record = parse_agent_page(page(raw)).agents[0]

    assert record.windows == () and record.dids == ()


def test_answer_without_response_field_is_an_upstream_error():
    with pytest.raises(UpstreamUnavailableError):
        parse_agent_page({"status": "success", "code": 200})


def test_response_of_the_wrong_type_is_an_upstream_error():
    with pytest.raises(UpstreamUnavailableError):
        parse_agent_page({"status": "success", "code": 200, "response": 42})


def test_real_setcad_example_marks_both_agents_succeeded():
    result = parse_cad_answer(load("setcad-response.json"), ["1", "14"])

    assert [(r.agent_id, r.outcome) for r in result.results] == [
        ("1", CadOutcome.SUCCEEDED),
        ("14", CadOutcome.SUCCEEDED),
    ]
    assert (result.succeeded, result.failed) == (2, 0)


def test_cad_answer_accounts_for_every_id_sent():
    body = {
        "status": "success",
        "code": 200,
        "data": {
            "updatedAgents": [
                {"agentId": 1, "status": "success"},
                {"agentId": "3", "status": "success"},
                {"agentId": "99", "status": "success"},
            ],
            "errors": [
                {"agentId": "2", "message": "Invalid agentId", "code": 1509},
                {"agentId": "3", "message": "Data already in processing"},
            ],
        },
    }

    result = parse_cad_answer(body, ["1", "2", "3", "4"])

    assert [(r.agent_id, r.outcome, r.message, r.code) for r in result.results] == [
        ("1", CadOutcome.SUCCEEDED, "", None),
        ("2", CadOutcome.FAILED, "Invalid agentId", 1509),
        ("3", CadOutcome.FAILED, "Data already in processing", None),
        ("4", CadOutcome.FAILED, NO_ANSWER_MESSAGE, None),
    ]


def test_cad_answer_without_data_is_an_upstream_error():
    with pytest.raises(UpstreamUnavailableError):
        parse_cad_answer({"status": "success", "code": 200}, ["1"])


@pytest.mark.parametrize(
    ("value", "flag"),
    [(1, True), ("1", True), (True, True), (0, False), ("0", False), ("", False), (None, False)],
)
def test_deletion_flags_are_read_as_the_contract_says(value, flag):
    raw = {"unique_id": 7, "name": "A", "isDeleted": value, "preDeleted": value}
    agent = parse_agent(raw)
    assert (agent.is_deleted, agent.pending_deletion) == (flag, flag)
    assert parse_agent({"unique_id": 7, "name": "A"}).is_deleted is False  # absent


def test_an_unreadable_deletion_flag_skips_the_agent_and_says_which_field():
    page = parse_agent_page({"response": [{"unique_id": 7, "name": "A", "isDeleted": "yes"}]})
    assert page.agents == ()
    assert page.skipped[0].reason == "isDeleted is neither 0 nor 1"


def test_ids_that_look_like_numbers_are_kept_exactly_as_sent():
    # Ids are opaque (agent-api.md): "007" is not agent 7, and both can be listed.
    parsed = parse_agent_page(
        page(agent(unique_id="007"), agent(unique_id=7), agent(unique_id="7"))
    )

    assert [a.agent_id for a in parsed.agents] == ["007", "7"]
    assert (
        parse_cad_answer(
            {"data": {"updatedAgents": [{"agentId": "007", "status": "success"}]}}, ["007", "7"]
        ).succeeded
        == 1
    )


def test_the_fingerprint_follows_what_deepcall_sent_but_never_a_secret():
    base = parse_agent_page(page(agent(password="pw-one", call_pass="111"))).agents[0]
    new_password = parse_agent_page(page(agent(password="pw-two", call_pass="222"))).agents[0]
    renamed = parse_agent_page(page(agent(name="Asha K", password="pw-one"))).agents[0]

    assert base.fingerprint and base.fingerprint == new_password.fingerprint
    assert renamed.fingerprint != base.fingerprint
    assert "pw-one" not in repr(base) and base.fingerprint not in repr(base)


def test_entries_the_caller_holds_unchanged_are_listed_by_id_and_not_parsed():
    first = parse_agent_page(page(agent(unique_id=1), agent(unique_id=2), agent(unique_id=3)))
    held = {a.agent_id: a.fingerprint for a in first.agents}
    asked: list[dict] = []

    def unchanged(fingerprints):
        asked.append(dict(fingerprints))
        return {i for i, f in fingerprints.items() if held.get(i) == f}

    body = page(
        agent(unique_id=1),
        agent(unique_id=2, name="Renamed"),
        agent(unique_id=3, password="new"),  # a new password alone changes nothing we keep
        agent(unique_id=4),
        {"name": "No id"},
    )
    again = parse_agent_page(body, unchanged=unchanged)

    assert again.unchanged_ids == ("1", "3")
    assert [(a.agent_id, a.name) for a in again.agents] == [("2", "Renamed"), ("4", "Asha")]
    assert [s.reason for s in again.skipped] == ["no usable unique_id"]
    assert list(asked[0]) == ["1", "2", "3", "4"]  # one question per page
