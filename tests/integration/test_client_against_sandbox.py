"""The DeepCall client over real HTTP against the sandbox (tests/fixtures/sandbox.py).

The sandbox serves 300 agents (the 7 published ones and 293 generated), 100 per page.
"""

import dataclasses
import pickle

import pytest
import stamina

from agents.deepcall import (
    LIST_RETRY_ATTEMPTS,
    AuthenticationError,
    CadOutcome,
    DeepCallClient,
    DeepCallConfig,
    InvalidRequestError,
    PermissionDeniedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from agents.sandbox import SANDBOX_SSID, SANDBOX_TOKEN, SANDBOX_USER_ID

PUBLISHED_IDS = ["2", "3", "4", "5", "6", "8", "9"]


@pytest.fixture(autouse=True)
def _no_retry_waits():
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


def make_client(sandbox, **overrides) -> DeepCallClient:
    fields = {
        "base_url": sandbox.url,
        "user_id": SANDBOX_USER_ID,
        "token": SANDBOX_TOKEN,
        **overrides,
    }
    return DeepCallClient(DeepCallConfig(**fields))


@pytest.fixture
def client(sandbox):
    with make_client(sandbox) as deepcall:
        yield deepcall


def calls(sandbox, action="list") -> int:
    return sandbox.state.snapshot()["calls"][action]


def test_lists_every_agent_across_all_pages(client, sandbox):
    listing = client.list_agents()

    ids = [a.agent_id for a in listing.agents]
    assert len(ids) == len(set(ids)) == 300
    assert ids[:7] == PUBLISHED_IDS
    assert (listing.pages_fetched, listing.total_records, listing.complete) == (3, 300, True)
    assert listing.skipped == ()
    assert calls(sandbox) == 3


def test_published_agents_keep_their_groups_and_windows(client):
    agents = {a.agent_id: a for a in client.list_agents().agents}

    assert [(g.group_id, g.name) for g in agents["2"].groups] == [
        ("17", "Perm"),
        ("4", "Unknown group (4)"),
        ("28", "Mahipal singh"),
    ]
    assert [(w.weekdays, w.start_minute, w.end_minute) for w in agents["8"].windows] == [
        ((4,), 0, 0)
    ]


def test_no_agent_secret_survives_a_real_listing(client, sandbox):
    secrets = {
        str(raw[key])
        for raw in sandbox.state.dataset.agents
        for key in ("password", "call_pass")
        if raw.get(key)
    }
    assert secrets

    listing = client.list_agents()

    dumps = (
        repr(listing),
        str(dataclasses.asdict(listing)),
        pickle.dumps(listing).decode("latin1"),
    )
    for text in dumps:
        assert not any(secret in text for secret in secrets if len(secret) >= 6)


def test_ssid_authentication_works(sandbox):
    with DeepCallClient(DeepCallConfig(base_url=sandbox.url, ssid=SANDBOX_SSID)) as deepcall:
        assert len(deepcall.list_agents(agent_id=5).agents) == 1


def test_filters_reach_the_server(client):
    (brijendra,) = client.list_agents(agent_id="5").agents
    assert brijendra.name == "Brijendra"

    perm = client.list_agents(group_id=17).agents
    assert perm and all("17" in {g.group_id for g in a.groups} for a in perm)

    named = client.list_agents(name="bhaw").agents
    assert named and all("bhaw" in a.name.lower() for a in named)


def test_unknown_group_is_an_invalid_request(client):
    with pytest.raises(InvalidRequestError) as caught:
        client.list_agents(group_id=999_999)

    assert caught.value.code == 1006


def test_the_documented_map_shape_lists_the_same_agents(client, sandbox):
    plain = {a.agent_id: a.name for a in client.list_agents().agents}
    sandbox.set_faults(map_shape=True)

    mapped = {a.agent_id: a.name for a in client.list_agents().agents}

    assert mapped == plain


def test_a_server_ignoring_page_does_not_spin_or_duplicate(client, sandbox):
    sandbox.set_faults(ignore_page=True)

    listing = client.list_agents()

    assert calls(sandbox) == 2
    assert len(listing.agents) == len({a.agent_id for a in listing.agents}) == 100
    assert listing.complete is False


def test_transient_502s_are_retried(client, sandbox):
    sandbox.set_faults(fail_next=2)

    listing = client.list_agents()

    assert len(listing.agents) == 300
    assert calls(sandbox) == 3 + 2


def test_a_server_that_keeps_failing_gives_upstream_unavailable(client, sandbox):
    sandbox.set_faults(error_rate=1.0, error_status=503)

    with pytest.raises(UpstreamUnavailableError) as caught:
        client.list_agents()

    assert caught.value.http_status == 503
    assert calls(sandbox) == LIST_RETRY_ATTEMPTS


def test_malformed_json_gives_upstream_unavailable(client, sandbox):
    sandbox.set_faults(malformed_rate=1.0)

    with pytest.raises(UpstreamUnavailableError):
        client.list_agents()


def test_expired_credentials_give_an_authentication_error(client, sandbox):
    sandbox.set_faults(expire_after=0)

    with pytest.raises(AuthenticationError) as caught:
        client.list_agents()

    assert caught.value.code == 1014 and caught.value.admin_hint


def test_wrong_credentials_give_an_authentication_error(sandbox):
    with (
        make_client(sandbox, token="not-the-token") as deepcall,
        pytest.raises(AuthenticationError),
    ):
        deepcall.list_agents()


def test_set_and_unset_cad_account_for_every_id(sandbox):
    sandbox.set_faults(cad_failures={"6": {"code": 1501, "message": "Data already in processing"}})
    ids = [*PUBLISHED_IDS, *[str(i) for i in range(100, 160)], "999999"]

    with make_client(sandbox, cad_batch_size=len(ids)) as deepcall:
        result = deepcall.cad_batch(enable=True, agent_ids=ids)

        assert calls(sandbox, "setCad") == 1
        by_id = {r.agent_id: r for r in result.results}
        assert list(by_id) == ids
        assert by_id["6"].outcome is CadOutcome.FAILED and by_id["6"].code == 1501
        assert by_id["999999"].outcome is CadOutcome.FAILED
        assert by_id["999999"].message == "Invalid agentId"
        succeeded = {r.agent_id for r in result.results if r.outcome is CadOutcome.SUCCEEDED}
        assert len(succeeded) == len(ids) - 2
        assert sandbox.cad_on == succeeded

        deepcall.cad_batch(enable=False, agent_ids=sorted(succeeded))
        assert sandbox.cad_on == set()


def test_denied_cad_raises_and_changes_nothing(client, sandbox):
    sandbox.set_faults(denied_actions=["setCad"])

    with pytest.raises(PermissionDeniedError):
        client.cad_batch(enable=True, agent_ids=["2", "3"])

    assert sandbox.cad_on == set()


def test_cad_is_not_retried_after_a_read_timeout(sandbox):
    sandbox.set_faults(hang_rate=1.0, hang_seconds=5, actions=["setCad"])

    with (
        make_client(sandbox, read_timeout=0.3) as deepcall,
        pytest.raises(UpstreamTimeoutError) as caught,
    ):
        deepcall.cad_batch(enable=True, agent_ids=["2"])

    assert caught.value.request_sent is True
    assert calls(sandbox, "setCad") == 1


def test_cad_is_not_retried_after_a_5xx(client, sandbox):
    sandbox.set_faults(error_rate=1.0, actions=["setCad"])

    with pytest.raises(UpstreamUnavailableError):
        client.cad_batch(enable=True, agent_ids=["2"])

    assert calls(sandbox, "setCad") == 1


def test_the_django_client_talks_to_the_sandbox(sandbox_settings):
    from agents.upstream import get_deepcall_client, reset_deepcall_client

    reset_deepcall_client()
    try:
        assert len(get_deepcall_client().list_agents().agents) == 300
    finally:
        reset_deepcall_client()
