"""Agent/list over a mocked transport: auth, filters, paging and its guards, faults, retries."""

import dataclasses
import threading
import time

import httpx
import pytest
import stamina

from agents.deepcall import (
    LIST_RETRY_ATTEMPTS,
    AuthenticationError,
    DeepCallClient,
    InvalidRequestError,
    PermissionDeniedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from agents.deepcall import client as client_module

from .conftest import LIST_URL, SSID, TOKEN, USER_ID, example_list, request_json

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def agents_page(ids, *, current, total, **extra):
    return {
        "status": "success",
        "code": 200,
        "response": [{"unique_id": i, "name": f"Agent {i}", "password": f"pw{i}"} for i in ids],
        "currentPage": current,
        "totalPages": total,
        "totalRecords": 99,
        **extra,
    }


def paged(pages: dict[int, list[int]], *, honour_page=True, say_current=True):
    """A side effect serving `pages` by the request's `page` (1 when absent)."""

    def answer(request):
        asked = request_json(request).get("page", 1)
        page = asked if honour_page else 1
        body = agents_page(pages.get(page, []), current=page, total=len(pages))
        if not say_current:
            del body["currentPage"]
        return httpx.Response(200, json=body)

    return answer


def test_lists_the_real_example_with_ssid_and_json_content_type(client, api):
    route = api.post(LIST_URL).respond(200, json=example_list())

    listing = client.list_agents()

    assert [a.agent_id for a in listing.agents] == ["2", "3", "4", "5", "6", "8", "9"]
    assert (listing.pages_fetched, listing.total_records, listing.complete) == (1, 7, True)
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert request_json(request) == {"ssid": SSID}  # no `page` on the first call


def test_token_credentials_are_sent_without_ssid(token_config, api):
    route = api.post(LIST_URL).respond(200, json=example_list())

    with DeepCallClient(token_config) as deepcall:
        deepcall.list_agents()

    assert request_json(route.calls.last.request) == {"userId": USER_ID, "token": TOKEN}


def test_filters_are_sent_as_the_api_names_them(client, api):
    route = api.post(LIST_URL).respond(200, json=example_list())

    client.list_agents(agent_id=5, name=" bha ", group_id=17)

    body = request_json(route.calls.last.request)
    assert body == {"ssid": SSID, "agentId": "5", "name": "bha", "groupid": "17"}


def test_all_pages_are_fetched_with_a_one_based_page_field(client, api):
    route = api.post(LIST_URL).mock(side_effect=paged({1: [1, 2], 2: [3, 4], 3: [5]}))

    listing = client.list_agents()

    assert [a.agent_id for a in listing.agents] == ["1", "2", "3", "4", "5"]
    assert listing.pages_fetched == 3 and listing.complete
    assert [request_json(c.request).get("page") for c in route.calls] == [None, 2, 3]


def test_agents_repeated_across_pages_are_kept_once(client, api):
    api.post(LIST_URL).mock(side_effect=paged({1: [1, 2], 2: [2, 3]}))

    listing = client.list_agents()

    assert [a.agent_id for a in listing.agents] == ["1", "2", "3"]


@pytest.mark.parametrize("say_current", [True, False])
def test_a_server_ignoring_page_neither_spins_nor_duplicates(client, api, say_current):
    route = api.post(LIST_URL).mock(
        side_effect=paged({1: [1, 2], 2: [3], 3: [4]}, honour_page=False, say_current=say_current)
    )

    listing = client.list_agents()

    assert route.call_count == 2
    assert [a.agent_id for a in listing.agents] == ["1", "2"]
    assert listing.complete is False


def test_paging_stops_at_the_max_pages_cap(client, api, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_PAGES", 3)
    route = api.post(LIST_URL).mock(side_effect=paged({p: [p] for p in range(1, 11)}))

    listing = client.list_agents()

    assert route.call_count == 3
    assert [a.agent_id for a in listing.agents] == ["1", "2", "3"]
    assert listing.complete is False


def test_max_pages_is_a_bounded_constant():
    assert 1 < client_module.MAX_PAGES <= 10_000


def test_skipped_agents_are_reported_in_the_listing(client, api):
    body = example_list()
    del body["response"][0]["unique_id"]
    body["response"][0]["agentId"] = None
    api.post(LIST_URL).respond(200, json=body)

    listing = client.list_agents()

    assert len(listing.agents) == 6
    assert [s.reason for s in listing.skipped] == ["no usable unique_id"]


# --- faults -----------------------------------------------------------------------------------


def test_timeout_is_retried_then_raised_as_upstream_timeout_from_httpx(client, api):
    route = api.post(LIST_URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamTimeoutError) as caught:
        client.list_agents()

    assert route.call_count == LIST_RETRY_ATTEMPTS
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.code is None


def test_connection_error_is_retried_and_recovers(client, api):
    route = api.post(LIST_URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=example_list())]
    )

    assert len(client.list_agents().agents) == 7
    assert route.call_count == 2


def test_502_with_an_html_body_is_retried_then_upstream_unavailable(client, api):
    route = api.post(LIST_URL).respond(502, html=HTML_502)

    with pytest.raises(UpstreamUnavailableError) as caught:
        client.list_agents()

    assert type(caught.value) is UpstreamUnavailableError
    assert caught.value.http_status == 502 and "502" in caught.value.user_message
    assert route.call_count == LIST_RETRY_ATTEMPTS


def test_503_then_success_returns_the_agents(client, api):
    api.post(LIST_URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=example_list())]
    )

    assert len(client.list_agents().agents) == 7


def test_malformed_json_is_upstream_unavailable_and_not_retried(client, api):
    route = api.post(LIST_URL).respond(200, text='{"response": [{"name": "bhawesh", "pass')

    with pytest.raises(UpstreamUnavailableError) as caught:
        client.list_agents()

    assert route.call_count == 1
    assert caught.value.__cause__ is None  # the half body (with passwords) is not chained


def test_json_that_is_not_the_expected_shape_is_upstream_unavailable(client, api):
    api.post(LIST_URL).respond(200, json=[1, 2, 3])

    with pytest.raises(UpstreamUnavailableError):
        client.list_agents()


def test_1014_is_an_authentication_error_and_not_retried(client, api):
    route = api.post(LIST_URL).respond(
        200, json={"status": "error", "code": 1014, "message": "Invalid token"}
    )

    with pytest.raises(AuthenticationError) as caught:
        client.list_agents()

    assert route.call_count == 1
    assert caught.value.code == 1014 and "DEEPCALL_SSID" in caught.value.admin_hint


def test_http_200_with_error_json_raises_the_mapped_error(client, api):
    api.post(LIST_URL).respond(
        200, json={"status": "error", "code": 1006, "message": "GroupId does not exist"}
    )

    with pytest.raises(InvalidRequestError) as caught:
        client.list_agents(group_id=404)

    assert caught.value.code == 1006


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (403, PermissionDeniedError), (400, InvalidRequestError)],
)
def test_4xx_without_body_is_typed_and_not_retried(client, api, status, cls):
    route = api.post(LIST_URL).respond(status)

    with pytest.raises(cls):
        client.list_agents()

    assert route.call_count == 1


def test_list_retries_stop_at_the_time_budget(client, api, monkeypatch):
    # Many attempts allowed, but a 0.1 s budget: slow failures stop after the budget.
    monkeypatch.setattr(
        client_module,
        "LIST_RETRY_POLICY",
        dataclasses.replace(client_module.LIST_RETRY_POLICY, attempts=50, timeout=0.1),
    )

    def slow_failure(request):
        time.sleep(0.06)
        return httpx.Response(503)

    route = api.post(LIST_URL).mock(side_effect=slow_failure)
    for name in ("RETRY_WAIT_INITIAL", "RETRY_WAIT_MAX", "RETRY_WAIT_JITTER"):
        monkeypatch.setattr(client_module, name, 0.0)

    # stamina's test mode ignores the time budget, so run this one for real (with no waits).
    with stamina.set_testing(False), pytest.raises(UpstreamUnavailableError):
        client.list_agents()

    # Without the budget all 50 attempts would run; a loaded machine may fit one or three.
    assert 1 <= route.call_count <= 3


def test_list_retry_limits_are_named_and_bounded():
    assert 1 < LIST_RETRY_ATTEMPTS <= 5
    assert client_module.LIST_RETRY_TIMEOUT <= 60


def test_client_context_manager_closes_the_pool(config):
    with DeepCallClient(config) as deepcall:
        pass
    assert deepcall._http.is_closed


# --- pages in flight at once ------------------------------------------------------------------


class Watch:
    """Serves `pages` (1..n, two agents each) slowly enough that requests in flight overlap,
    noting how many were in flight whenever one arrived and which pages were asked so far."""

    def __init__(self, pages: int, *, answer_seconds: float = 0.05, slower: dict | None = None):
        self.pages = {p: [2 * p - 1, 2 * p] for p in range(1, pages + 1)}
        self.answer_seconds = answer_seconds
        self.slower = slower or {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.seen_in_flight: dict[int, int] = {}  # page -> requests in flight when it came
        self.asked: list[int] = []

    def __call__(self, request):
        page = request_json(request).get("page", 1)
        with self.lock:
            self.in_flight += 1
            self.seen_in_flight[page] = self.in_flight
            self.asked.append(page)
        try:
            time.sleep(self.slower.get(page, self.answer_seconds))
            body = agents_page(self.pages.get(page, []), current=page, total=len(self.pages))
            return httpx.Response(200, json=body)
        finally:
            with self.lock:
                self.in_flight -= 1


def concurrent_client(config, n):
    return DeepCallClient(dataclasses.replace(config, list_concurrency=n))


def test_after_the_first_two_pages_several_are_fetched_at_a_time(config, api):
    watch = Watch(pages=12)
    api.post(LIST_URL).mock(side_effect=watch)

    with concurrent_client(config, 4) as deepcall:
        listing = deepcall.list_agents()

    assert [a.agent_id for a in listing.agents] == [str(i) for i in range(1, 25)]
    assert listing.complete and listing.pages_fetched == 12
    # Page 1 (how many pages?) and page 2 (does the server honour `page`?) go alone.
    assert (watch.seen_in_flight[1], watch.seen_in_flight[2]) == (1, 1)
    assert max(watch.seen_in_flight.values()) == 4
    assert sorted(watch.asked) == list(range(1, 13))  # each page asked once


def test_list_concurrency_one_fetches_one_page_at_a_time(config, api):
    watch = Watch(pages=6)
    api.post(LIST_URL).mock(side_effect=watch)

    with concurrent_client(config, 1) as deepcall:
        listing = deepcall.list_agents()

    assert len(listing.agents) == 12
    assert max(watch.seen_in_flight.values()) == 1


def test_pages_are_handed_out_in_page_order_whatever_order_they_answer_in(config, api):
    # Page 3 answers last of its window: the pages after it wait for it.
    watch = Watch(pages=8, answer_seconds=0.01, slower={3: 0.3})
    api.post(LIST_URL).mock(side_effect=watch)

    with concurrent_client(config, 4) as deepcall:
        numbers = [page.number for page in deepcall.agent_pages()]

    assert numbers == list(range(1, 9))


def test_pages_are_handed_out_as_they_arrive_not_after_the_whole_listing(config, api):
    watch = Watch(pages=30, answer_seconds=0.01)
    api.post(LIST_URL).mock(side_effect=watch)
    asked_when_handed_out = {}

    with concurrent_client(config, 2) as deepcall:
        for page in deepcall.agent_pages():
            with watch.lock:
                asked_when_handed_out[page.number] = max(watch.asked)

    # When page n is handed out, DeepCall has been asked for at most a few pages after it.
    ahead = client_module.LIST_PAGES_AHEAD * 2
    assert all(asked <= number + ahead for number, asked in asked_when_handed_out.items())
    assert len(asked_when_handed_out) == 30


def test_later_pages_are_fetched_while_the_reader_is_still_writing_one(config, api):
    watch = Watch(pages=12, answer_seconds=0.01)
    api.post(LIST_URL).mock(side_effect=watch)
    ahead = client_module.LIST_PAGES_AHEAD * 2

    def asked_for(page: int) -> bool:
        with watch.lock:
            return page in watch.asked

    handed_out = []
    with concurrent_client(config, 2) as deepcall:
        for page in deepcall.agent_pages():
            handed_out.append(page.number)
            if page.number == 3:
                # The reader holds page 3 (as a sync writing it would); DeepCall is still
                # asked for the pages after it, up to the bound, and no further.
                deadline = time.monotonic() + 10
                while not asked_for(3 + ahead) and time.monotonic() < deadline:
                    time.sleep(0.005)
                assert asked_for(3 + ahead)
                time.sleep(0.05)  # time enough to ask for one too many, if it would
                assert not asked_for(3 + ahead + 1)
    # Page 3 was reached and held (the checks above ran), and every page came, in order.
    assert handed_out == list(range(1, 13))


def test_a_failing_page_is_retried_on_its_own(config, api):
    watch = Watch(pages=8, answer_seconds=0.01)
    failures = {6: 2}  # page 6 fails twice, then answers

    def flaky(request):
        page = request_json(request).get("page", 1)
        if failures.get(page):
            failures[page] -= 1
            with watch.lock:
                watch.asked.append(page)
            return httpx.Response(503)
        return watch(request)

    api.post(LIST_URL).mock(side_effect=flaky)

    with concurrent_client(config, 4) as deepcall:
        listing = deepcall.list_agents()

    assert len(listing.agents) == 16 and listing.complete
    assert sorted(watch.asked) == [1, 2, 3, 4, 5, 6, 6, 6, 7, 8]


def test_a_page_that_cannot_be_fetched_fails_the_listing(config, api):
    def broken(request):
        page = request_json(request).get("page", 1)
        if page == 5:
            return httpx.Response(502, html=HTML_502)
        return paged({p: [p] for p in range(1, 9)})(request)

    api.post(LIST_URL).mock(side_effect=broken)

    with concurrent_client(config, 4) as deepcall, pytest.raises(UpstreamUnavailableError):
        deepcall.list_agents()


def test_a_server_ignoring_page_is_asked_twice_whatever_the_concurrency(config, api):
    route = api.post(LIST_URL).mock(
        side_effect=paged({p: [p] for p in range(1, 50)}, honour_page=False)
    )

    with concurrent_client(config, 8) as deepcall:
        listing = deepcall.list_agents()

    assert route.call_count == 2
    assert [a.agent_id for a in listing.agents] == ["1"] and listing.complete is False


# --- unreadable agents never end a listing ----------------------------------------------------


def unreadable(*ids):
    """Entries with an id but hours nobody can read, and entries with no id at all."""
    return [{"unique_id": i, "name": f"Agent {i}", "working": "garbled"} for i in ids]


def pages_of(entries: dict[int, list[dict]], *, say_current=True):
    def answer(request):
        page = request_json(request).get("page", 1)
        body = {
            "status": "success",
            "code": 200,
            "response": entries.get(page, []),
            "totalPages": len(entries),
        }
        if say_current:
            body["currentPage"] = page
        return httpx.Response(200, json=body)

    return answer


def readable(*ids):
    return [{"unique_id": i, "name": f"Agent {i}"} for i in ids]


@pytest.mark.parametrize("say_current", [True, False])
def test_a_whole_page_of_unreadable_agents_does_not_end_the_listing(client, api, say_current):
    api.post(LIST_URL).mock(
        side_effect=pages_of(
            {
                1: readable(1, 2),
                2: unreadable(3, 4),
                3: [*readable(5), {"name": "no id"}],
                4: unreadable(6),
                5: readable(7, 8),
            },
            say_current=say_current,
        )
    )

    listing = client.list_agents()

    assert [a.agent_id for a in listing.agents] == ["1", "2", "5", "7", "8"]
    assert listing.complete is True and listing.pages_fetched == 5
    assert sorted(s.agent_id for s in listing.skipped) == ["", "3", "4", "6"]


def test_an_empty_page_does_not_end_the_listing(client, api):
    api.post(LIST_URL).mock(side_effect=pages_of({1: readable(1), 2: [], 3: readable(3)}))

    listing = client.list_agents()

    assert [a.agent_id for a in listing.agents] == ["1", "3"] and listing.complete


def test_a_page_repeating_agents_already_listed_ends_the_listing(client, api):
    route = api.post(LIST_URL).mock(
        side_effect=pages_of(
            {1: readable(1), 2: readable(2), 3: readable(3), 4: readable(2, 3), 5: readable(5)},
            say_current=False,
        )
    )

    listing = client.list_agents()

    assert [a.agent_id for a in listing.agents] == ["1", "2", "3"]
    assert listing.complete is False
    assert route.call_count <= 5
