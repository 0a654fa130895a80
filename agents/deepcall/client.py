"""The DeepCall Agent API client: httpx, one pooled client per process, no Django.

Every call is `POST {base_url}/api/v2/Agent/<action>` with a JSON body carrying the
credentials (`ssid`, or `userId` + `token`). Answers are read through one function,
`errors.error_from_answer`, because DeepCall sends errors with HTTP 200 and proxies send HTML
with a 5xx. Successful bodies go straight to `parsing`, which drops the agents' secrets.

Retry policies (stamina: exponential backoff with jitter, bounded in attempts and total time):

* `Agent/list` is a read: it is retried on connection errors, timeouts, other transport
  errors, HTTP 5xx and HTTP 429 — at most LIST_RETRY_ATTEMPTS attempts within
  LIST_RETRY_TIMEOUT seconds. API error codes (1014, 15xx, …) are never retried.
* `Agent/setCad` / `Agent/unsetCad` change state and DeepCall gives no idempotency key, so a
  call is retried only when the request provably never left this process: the connection
  could not be opened (httpx.ConnectError, httpx.ConnectTimeout, or no pooled connection freed
  in time, httpx.PoolTimeout) — at most CAD_RETRY_ATTEMPTS attempts within CAD_RETRY_TIMEOUT
  seconds. After a read timeout, a dropped connection or a 5xx the server may have applied the
  change, so the error is raised at once and the caller reports the batch as unconfirmed.

Tests switch waiting off with `stamina.set_testing(True, attempts=…, cap=True)`.

Each HTTP attempt is logged once on the "agents.deepcall" logger with the action, duration
(ms), number of agents, page and outcome. Credentials and agent secrets are never logged;
`redact()` masks them wherever a payload has to be shown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
import stamina

from .errors import (
    DeepCallError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
    error_from_answer,
)
from .parsing import (
    AGENT_SECRET_FIELDS,
    AgentPage,
    UnchangedFilter,
    normalize_id,
    parse_agent_page,
    parse_cad_answer,
)
from .records import (
    AgentListing,
    AgentRecord,
    CadBatchResult,
    SkippedAgent,
)

logger = logging.getLogger("agents.deepcall")

API_PREFIX = "/api/v2/Agent/"

# Connecting to a healthy server takes well under a second; 5 s tolerates a slow TLS handshake
# without leaving a supervisor staring at a spinner.
DEFAULT_CONNECT_TIMEOUT = 5.0
# A full agent list of a large account can take DeepCall several seconds to build.
DEFAULT_READ_TIMEOUT = 20.0
# The documents give no limit per call; 100 ids keeps one request small and one failure local.
DEFAULT_CAD_BATCH_SIZE = 100

# Paging guard: the API may page by `agtLimit` (12 in the example), and the dashboard serves
# accounts of 100,000 agents (8,334 such pages); past this cap we stop and mark the listing
# incomplete. The real loop guard is "a page that repeats agents already listed ends it".
MAX_PAGES = 10_000

# Reads: 4 attempts (3 retries) and never more than 45 s in all, so a page load or a sync
# fails in bounded time when DeepCall is down.
LIST_RETRY_ATTEMPTS = 4
LIST_RETRY_TIMEOUT = 45.0
# CAD writes, retried only when nothing was sent (see module docstring).
CAD_RETRY_ATTEMPTS = 3
CAD_RETRY_TIMEOUT = 15.0
# Backoff between attempts: 0.5 s, 1 s, 2 s … capped at 5 s, plus up to 1 s of random jitter
# so that workers retrying together do not hit DeepCall in step.
RETRY_WAIT_INITIAL = 0.5
RETRY_WAIT_MAX = 5.0
RETRY_WAIT_JITTER = 1.0

# One pool per process, shared by the request threads and the CAD job runner.
MAX_CONNECTIONS = 20
MAX_KEEPALIVE_CONNECTIONS = 10

# Agent/list pages in flight at once after the first two: with 150 ms per answer, 4 pages at a
# time bring 100,000 agents (500 pages of 200) in about 19 s instead of 75 s, while one
# sync never takes more than a fifth of the connection pool or hammers DeepCall.
DEFAULT_LIST_CONCURRENCY = 4
MAX_LIST_CONCURRENCY = 16
# Answers fetched ahead of the page being written, per page in flight: enough that DeepCall's
# answers never wait for the database, few enough that memory stays a handful of pages.
LIST_PAGES_AHEAD = 2

# Fields never to log or show: the account's credentials and the agents' passwords.
SECRET_FIELDS: frozenset[str] = frozenset({"ssid", "token", *AGENT_SECRET_FIELDS})
REDACTED = "[redacted]"


class DeepCallConfigError(ValueError):
    """The client's configuration is unusable (the message never contains a credential)."""


@dataclass(frozen=True, slots=True)
class DeepCallConfig:
    """How to reach one DeepCall account. Exactly one of `ssid` or `user_id` + `token`."""

    base_url: str
    ssid: str = field(default="", repr=False)
    user_id: str = ""
    token: str = field(default="", repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    cad_batch_size: int = DEFAULT_CAD_BATCH_SIZE
    list_concurrency: int = DEFAULT_LIST_CONCURRENCY

    def __post_init__(self) -> None:
        base_url = (self.base_url or "").strip().rstrip("/")
        if not base_url.startswith(("https://", "http://")):
            raise DeepCallConfigError(
                "The DeepCall base URL must be an http(s):// origin, e.g. https://brand.example."
            )
        object.__setattr__(self, "base_url", base_url)
        has_ssid = bool(self.ssid)
        has_token_pair = bool(self.user_id) and bool(self.token)
        if has_ssid and (self.user_id or self.token):
            raise DeepCallConfigError(
                "Configure DeepCall with an ssid or with a userId and token, not both."
            )
        if not has_ssid and not has_token_pair:
            raise DeepCallConfigError(
                "DeepCall credentials are missing: set an ssid, or both a userId and a token."
            )
        if not (self.connect_timeout > 0 and self.read_timeout > 0):
            raise DeepCallConfigError("DeepCall timeouts must be positive numbers of seconds.")
        if isinstance(self.cad_batch_size, bool) or not (
            isinstance(self.cad_batch_size, int) and self.cad_batch_size >= 1
        ):
            raise DeepCallConfigError("DEEPCALL_CAD_BATCH_SIZE must be a whole number ≥ 1.")
        if isinstance(self.list_concurrency, bool) or not (
            isinstance(self.list_concurrency, int)
            and 1 <= self.list_concurrency <= MAX_LIST_CONCURRENCY
        ):
            raise DeepCallConfigError(
                "DEEPCALL_LIST_CONCURRENCY must be a whole number from 1 to "
                f"{MAX_LIST_CONCURRENCY}."
            )

    def auth_fields(self) -> dict[str, str]:
        """The credential fields every request body carries."""
        if self.ssid:
            return {"ssid": self.ssid}
        return {"userId": self.user_id, "token": self.token}

    def secrets(self) -> tuple[str, ...]:
        """The credential values to scrub from anything shown or logged."""
        return tuple(s for s in (self.ssid, self.token) if s)


def redact(payload: Any) -> Any:
    """A copy of `payload` (JSON-like) safe to log: every secret field's value is masked."""
    if isinstance(payload, Mapping):
        return {
            key: REDACTED if key in SECRET_FIELDS else redact(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list | tuple):
        return [redact(item) for item in payload]
    return payload


def _retry_list(exc: Exception) -> bool:
    return isinstance(exc, UpstreamUnavailableError) and exc.retryable


def _retry_cad(exc: Exception) -> bool:
    return isinstance(exc, UpstreamUnavailableError) and not exc.request_sent


@dataclass(frozen=True, slots=True)
class _RetryPolicy:
    should_retry: Callable[[Exception], bool]
    attempts: int
    timeout: float


LIST_RETRY_POLICY = _RetryPolicy(_retry_list, LIST_RETRY_ATTEMPTS, LIST_RETRY_TIMEOUT)
CAD_RETRY_POLICY = _RetryPolicy(_retry_cad, CAD_RETRY_ATTEMPTS, CAD_RETRY_TIMEOUT)


def cad_not_attempted_reason(exc: DeepCallError) -> str:
    """Why the agents of a batch that raised `exc` have no confirmed outcome."""
    if isinstance(exc, UpstreamTimeoutError) and exc.request_sent:
        return (
            "DeepCall did not answer in time: this change may or may not have been applied. "
            "Retry failed sends it again."
        )
    if isinstance(exc, UpstreamUnavailableError) and exc.request_sent:
        return (
            f"{exc.user_message} DeepCall did not confirm this change; it may or may not have "
            "been applied."
        )
    return exc.user_message


class DeepCallClient:
    """A thread-safe client of one DeepCall account; create one per process and reuse it."""

    def __init__(self, config: DeepCallConfig, *, transport: httpx.BaseTransport | None = None):
        self.config = config
        self._secrets = config.secrets()
        self._http = httpx.Client(
            base_url=config.base_url + API_PREFIX,
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
            ),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "deepcall-dashboard",
            },
            transport=transport,
            follow_redirects=False,  # a redirected POST would be replayed as a GET
        )

    def __repr__(self) -> str:
        return f"<DeepCallClient {self.config.base_url}>"

    # --- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- Agent/list ---------------------------------------------------------------------------

    def list_agents(
        self,
        *,
        agent_id: str | int | None = None,
        name: str | None = None,
        group_id: str | int | None = None,
    ) -> AgentListing:
        """Every agent matching the filters, all pages fetched, deduplicated by id.

        Holds the whole listing in memory: for a few agents (a connection check, a test). The
        sync reads `agent_pages()` instead and writes each page as it arrives.
        Raises a DeepCallError subclass when a page cannot be fetched.
        """
        pages = self.agent_pages(agent_id=agent_id, name=name, group_id=group_id)
        agents: list[AgentRecord] = []
        skipped: list[SkippedAgent] = []
        for page in pages:
            agents.extend(page.agents)
            skipped.extend(page.skipped)
        return AgentListing(
            agents=tuple(agents),
            skipped=tuple(skipped),
            pages_fetched=pages.pages_fetched,
            total_records=pages.total_records,
            complete=pages.complete,
        )

    def agent_pages(
        self,
        *,
        agent_id: str | int | None = None,
        name: str | None = None,
        group_id: str | int | None = None,
    ) -> AgentPages:
        """The listing page by page, fetched `list_concurrency` at a time; see AgentPages."""
        filters: dict[str, str] = {}
        if agent_id is not None and str(agent_id).strip():
            filters["agentId"] = str(agent_id).strip()
        if name is not None and name.strip():
            filters["name"] = name.strip()
        if group_id is not None and str(group_id).strip():
            filters["groupid"] = str(group_id).strip()
        return AgentPages(self, filters)

    def _list_page(self, filters: Mapping[str, str], page: int) -> Mapping[str, Any]:
        """One page of Agent/list, decoded but not parsed; retried on its own."""
        # Page 1 is asked without `page`, exactly as the documents show the call.
        fields = {**filters, "page": page} if page > 1 else dict(filters)
        return self._call("list", fields, policy=LIST_RETRY_POLICY, page=page)

    # --- Agent/setCad, Agent/unsetCad ----------------------------------------------------------

    def cad_batch(self, agent_ids: Sequence[str | int], *, enable: bool) -> CadBatchResult:
        """One setCad (`enable`) or unsetCad call for at most `cad_batch_size` ids; every id
        accounted for.

        Raises a DeepCallError subclass when the call as a whole fails (after the CAD retry
        policy); the job runner records that per batch.
        """
        endpoint = "setCad" if enable else "unsetCad"
        ids = _normalize_agent_ids(agent_ids)
        if not ids:
            return CadBatchResult()
        if len(ids) > self.config.cad_batch_size:
            raise ValueError(
                f"{len(ids)} ids in one CAD batch; the limit is {self.config.cad_batch_size}"
            )
        body = self._call(endpoint, {"agentIds": ids}, policy=CAD_RETRY_POLICY, agents=len(ids))
        result = parse_cad_answer(body, ids, secrets=self._secrets)
        logger.info(
            "DeepCall %s: %d succeeded, %d failed of %d",
            endpoint,
            result.succeeded,
            result.failed,
            len(ids),
        )
        return result

    # --- transport ----------------------------------------------------------------------------

    def _call(
        self,
        action: str,
        fields: Mapping[str, object],
        *,
        policy: _RetryPolicy,
        page: int | None = None,
        agents: int | None = None,
    ) -> Mapping[str, Any]:
        for attempt in stamina.retry_context(
            on=policy.should_retry,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=RETRY_WAIT_INITIAL,
            wait_max=RETRY_WAIT_MAX,
            wait_jitter=RETRY_WAIT_JITTER,
        ):
            with attempt:
                return self._call_once(
                    action, fields, page=page, agents=agents, attempt=attempt.num
                )
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    def _call_once(
        self,
        action: str,
        fields: Mapping[str, object],
        *,
        page: int | None,
        agents: int | None,
        attempt: int,
    ) -> Mapping[str, Any]:
        body = {**self.config.auth_fields(), **fields}
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("DeepCall %s request %s", action, redact(body))
        started = time.perf_counter()
        outcome = "ok"
        try:
            response = self._send(action, body)
            try:
                decoded: object = response.json()
            except ValueError:  # not JSON (an HTML error page, a truncated body, …)
                decoded = None
            error = error_from_answer(response.status_code, decoded, secrets=self._secrets)
            if error is not None:
                raise error
            assert isinstance(decoded, Mapping)  # error_from_answer vouches for it
            if action == "list" and agents is None:
                response_field = decoded.get("response")
                if isinstance(response_field, list | dict):
                    agents = len(response_field)
            return decoded
        except DeepCallError as exc:
            outcome = type(exc).__name__ + (f" code={exc.code}" if exc.code is not None else "")
            if getattr(exc, "http_status", None):
                outcome += f" http={exc.http_status}"
            raise
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000)
            logger.info(
                "DeepCall %s page=%s agents=%s attempt=%d outcome=%s duration_ms=%d",
                action,
                page,
                agents,
                attempt,
                outcome,
                duration_ms,
                extra={
                    "deepcall_action": action,
                    "deepcall_page": page,
                    "deepcall_agents": agents,
                    "deepcall_attempt": attempt,
                    "deepcall_outcome": outcome,
                    "deepcall_duration_ms": duration_ms,
                },
            )

    def _send(self, action: str, body: Mapping[str, object]) -> httpx.Response:
        """POST once; httpx failures become typed errors raised from the httpx exception."""
        try:
            return self._http.post(action, json=body)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise UpstreamTimeoutError(
                "DeepCall could not be reached in time. Please try again in a few minutes.",
                request_sent=False,
                retryable=True,
                api_message=type(exc).__name__,
            ) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeoutError(retryable=True, api_message=type(exc).__name__) from exc
        except httpx.ConnectError as exc:
            raise UpstreamUnavailableError(
                request_sent=False, retryable=True, api_message=type(exc).__name__
            ) from exc
        except httpx.TransportError as exc:
            # Read/write errors, dropped connections, protocol errors: possibly sent.
            raise UpstreamUnavailableError(retryable=True, api_message=type(exc).__name__) from exc
        except httpx.RequestError as exc:  # decoding errors, too many redirects
            raise UpstreamUnavailableError(api_message=type(exc).__name__) from exc


@dataclass(frozen=True, slots=True)
class ListedPage:
    """One page of a listing: the agents no earlier page brought, and its unreadable entries."""

    number: int
    agents: tuple[AgentRecord, ...]
    skipped: tuple[SkippedAgent, ...]
    # Agents the listing's `unchanged` filter recognised: listed, not parsed (AgentPages).
    unchanged_ids: tuple[str, ...] = ()


class AgentPages:
    """An Agent/list listing, handed out page by page in page order; iterate it once.

    Page 1 comes first (it says how many pages there are), then page 2 alone, so a server that
    ignores `page` is caught after one extra call rather than a burst of them. From page 3 on,
    `list_concurrency` pages are in flight at once, each retried on its own, and each is handed
    out as soon as the pages before it have been: at most that many pages wait in memory, never
    the whole account.

    Paging ends at `totalPages`. It ends early (`complete` False, so a sync deletes nobody)
    only when a page repeats what was seen (every readable agent of it came on an earlier page,
    or it says it is another page, as a server ignoring `page` does) or at MAX_PAGES. A page
    of unreadable agents, or an empty one, ends nothing: the pages after it are still read.

    `unchanged`, when set before the loop (see parsing.parse_agent_page), names the entries the
    caller already holds as they are: those come as `unchanged_ids`, unparsed, and count as
    listed like any other.

    After the loop: `pages_fetched`, `total_records`, `complete`, `skipped_count` (of which
    `skipped_without_id` had no id to read) and the ids seen (`listed_ids`, readable;
    `unreadable_ids`, skipped but with an id) so that a sync can tell which of the agents it
    holds are gone. A page that cannot be fetched raises its
    DeepCallError from the loop.
    """

    def __init__(self, client: DeepCallClient, filters: Mapping[str, str]):
        self._client = client
        self._filters = dict(filters)
        self._started = False
        self._skipped_keys: set[tuple[str, str]] = set()
        self.listed_ids: set[str] = set()
        self.unreadable_ids: set[str] = set()
        self.pages_fetched = 0
        self.skipped_count = 0
        self.skipped_without_id = 0
        self.total_records: int | None = None
        self.complete = True
        self.unchanged: UnchangedFilter | None = None

    def __iter__(self) -> Iterator[ListedPage]:
        if self._started:
            raise RuntimeError("a listing's pages can be read once")
        self._started = True
        fetch = self._client._list_page
        first = self._parse(fetch(self._filters, 1))
        self.total_records = first.total_records
        total_pages = first.total_pages or 1
        last = min(total_pages, MAX_PAGES)
        if last < 2:
            yield self._take(1, first)
        else:
            concurrency = self._client.config.list_concurrency
            pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="deepcall-list")
            later: _PageFetcher | None = None
            try:
                # Page 2 is asked for alone, while page 1 is being written; the pages after it
                # only once page 2 proved to be another page.
                second_call = pool.submit(fetch, self._filters, 2)
                yield self._take(1, first)
                second = self._parse(second_call.result())
                if self._repeats(2, second):
                    return
                if last >= 3:
                    later = _PageFetcher(
                        pool,
                        lambda number: fetch(self._filters, number),
                        range(3, last + 1),
                        concurrency=concurrency,
                    )
                yield self._take(2, second)
                for number in range(3, last + 1):
                    assert later is not None
                    # Parsed here rather than in the pool: a pool thread parsing while this one
                    # writes to the database would make each wait for the GIL at every step.
                    page = self._parse(later.result(number))
                    if self._repeats(number, page):
                        break
                    yield self._take(number, page)
            finally:
                if later is not None:
                    later.stop()
                # Pages asked for past the end of the listing are dropped, not waited for.
                pool.shutdown(wait=False, cancel_futures=True)
        if total_pages > MAX_PAGES:
            logger.warning(
                "DeepCall list: stopped at the %d-page cap of %s pages", MAX_PAGES, total_pages
            )
            self.complete = False
        if self.skipped_count:
            logger.warning("DeepCall list: %d agent(s) skipped as unreadable", self.skipped_count)

    def _parse(self, body: Mapping[str, Any]) -> AgentPage:
        return parse_agent_page(body, unchanged=self.unchanged)

    def _repeats(self, number: int, page: AgentPage) -> bool:
        ignored_page = page.current_page is not None and page.current_page != number
        ids = [a.agent_id for a in page.agents] + list(page.unchanged_ids)
        repeated = bool(ids) and all(agent_id in self.listed_ids for agent_id in ids)
        if not (ignored_page or repeated):
            return False
        self.pages_fetched += 1
        self.complete = False
        logger.warning(
            "DeepCall list: page %d answered as page %s with only agents already listed; "
            "paging stopped",
            number,
            page.current_page,
        )
        return True

    def _take(self, number: int, page: AgentPage) -> ListedPage:
        self.pages_fetched += 1
        agents = tuple(a for a in page.agents if a.agent_id not in self.listed_ids)
        self.listed_ids.update(a.agent_id for a in agents)
        unchanged = tuple(i for i in page.unchanged_ids if i not in self.listed_ids)
        self.listed_ids.update(unchanged)
        skipped: list[SkippedAgent] = []
        for skip in page.skipped:
            if skip.agent_id:
                key = (skip.agent_id, skip.reason)
                if key in self._skipped_keys:
                    continue  # the same entry on two pages is one unreadable agent
                self._skipped_keys.add(key)
                self.unreadable_ids.add(skip.agent_id)
            else:
                self.skipped_without_id += 1
            skipped.append(skip)
        self.skipped_count += len(skipped)
        return ListedPage(
            number=number, agents=agents, skipped=tuple(skipped), unchanged_ids=unchanged
        )


class _PageFetcher:
    """Fetches pages in order, `concurrency` calls in flight at any time, whatever the reader
    is doing: a page is asked for as soon as a call ends, not when the reader takes the page
    before it, so the writing of pages and DeepCall's answers overlap. At most
    LIST_PAGES_AHEAD × `concurrency` answers are held for the reader, so memory stays bounded
    when the reader is the slower one.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        fetch: Callable[[int], Mapping[str, Any]],
        numbers: range,
        *,
        concurrency: int,
    ):
        self._pool = pool
        self._fetch = fetch
        self._numbers = iter(numbers)
        self._concurrency = concurrency
        self._held_at_most = LIST_PAGES_AHEAD * concurrency
        self._lock = threading.Lock()
        self._pages: dict[int, Future[Mapping[str, Any]]] = {}  # asked for, not yet read
        self._calls = 0  # in flight
        self._stopped = False
        with self._lock:
            self._ask()

    def result(self, number: int) -> Mapping[str, Any]:
        """Page `number`'s decoded answer (the next in order); raises its DeepCallError."""
        with self._lock:
            page = self._pages.pop(number)
            self._ask()
        return page.result()

    def stop(self) -> None:
        """Ask for nothing more (the reader stopped early or failed)."""
        with self._lock:
            self._stopped = True

    def _ask(self) -> None:
        # Called with the lock held. The bookkeeping of a call is done inside the call (see
        # _run), so when the reader has an answer its call no longer counts as in flight.
        while (
            not self._stopped
            and self._calls < self._concurrency
            and len(self._pages) < self._held_at_most
        ):
            number = next(self._numbers, None)
            if number is None:
                return
            self._calls += 1
            self._pages[number] = self._pool.submit(self._run, number)

    def _run(self, number: int) -> Mapping[str, Any]:
        try:
            return self._fetch(number)
        finally:
            with self._lock:
                self._calls -= 1
                self._ask()


def _normalize_agent_ids(agent_ids: Sequence[str | int]) -> list[str]:
    if isinstance(agent_ids, str | bytes):
        raise TypeError("agent_ids must be a sequence of ids, not a single string")
    ids: list[str] = []
    for raw in agent_ids:
        agent_id = normalize_id(raw)
        if agent_id is None:
            raise ValueError("agent ids must be non-empty numbers or strings")
        ids.append(agent_id)
    return list(dict.fromkeys(ids))
