"""Serving the sandbox: a threaded stdlib HTTP/1.1 server (keep-alive) around `SandboxApp`.

    running = start_in_thread(agents=300, page_size=100)   # a free port on 127.0.0.1
    httpx.post(f"{running.url}/api/v2/Agent/list", json={"ssid": SANDBOX_SSID})
    running.set_faults(error_rate=0.5, seed=1)
    running.stop()

`serve()` is the blocking form used by `manage.py deepcall_sandbox` and `python -m
agents.sandbox`; `add_arguments()` declares their shared options.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from agents.sandbox import SANDBOX_SSID, SANDBOX_TOKEN, SANDBOX_USER_ID
from agents.sandbox.app import SandboxApp
from agents.sandbox.data import DEFAULT_AGENT_COUNT, DEFAULT_SEED, MAX_AGENT_COUNT, build_dataset
from agents.sandbox.faults import DEFAULT_HANG_SECONDS, CadFailure, Faults
from agents.sandbox.state import DEFAULT_PAGE_SIZE, SandboxState
from agents.tcp_no_delay import SendsWithoutDelay

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Idle keep-alive connections close after this, so their threads end.
KEEP_ALIVE_SECONDS = 30
# Pending connections the listening socket queues (the load test opens many at once).
LISTEN_BACKLOG = 128


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into a WSGI call; HTTP/1.1 with Content-Length, so keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "DeepCallSandbox/1.0"
    sys_version = ""
    timeout = KEEP_ALIVE_SECONDS
    server: SandboxHTTPServer

    def do_POST(self) -> None:
        self._run()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST

    def _run(self) -> None:
        body = self._read_body()
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        # The identity provider's userinfo endpoint reads `Authorization: Bearer …`.
        if "Authorization" in self.headers:
            environ["HTTP_AUTHORIZATION"] = self.headers["Authorization"]
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            started["status"], started["headers"] = status, headers

        chunks = self.server.app(environ, start_response)
        payload = b"".join(chunks)
        code, _, reason = started["status"].partition(" ")
        try:
            self.send_response(int(code), reason)
            for name, value in started["headers"]:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            # The client went away (a timed-out test client, after a hang): nothing to answer.
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            # The published examples send `Content-Length: ''`; their clients replace it.
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class SandboxHTTPServer(SendsWithoutDelay, ThreadingHTTPServer):
    daemon_threads = True  # a hanging request never blocks shutdown
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], app: SandboxApp, *, verbose: bool = False):
        self.app = app
        self.verbose = verbose
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # clients that hang up or idle out are routine here
        super().handle_error(request, client_address)


def make_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    agents: int = DEFAULT_AGENT_COUNT,
    page_size: int = DEFAULT_PAGE_SIZE,
    seed: int = DEFAULT_SEED,
    faults: Faults | dict[str, Any] | None = None,
    verbose: bool = False,
) -> SandboxHTTPServer:
    """A bound, not yet serving, sandbox server (port 0 picks a free port)."""
    if isinstance(faults, dict):
        faults = Faults.from_dict(faults)
    state = SandboxState(build_dataset(agents, seed=seed), page_size=page_size, faults=faults)
    return SandboxHTTPServer((host, port), SandboxApp(state), verbose=verbose)


def _url(server: SandboxHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@dataclass
class RunningSandbox:
    """A sandbox serving from a background thread; its controls work in-process."""

    server: SandboxHTTPServer
    thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:40123` (the API is under /api/v2/Agent/)."""
        return _url(self.server)

    @property
    def state(self) -> SandboxState:
        return self.server.app.state

    @property
    def identity(self):
        """The development OpenID provider (`agents.sandbox.identity`), issuer `oidc_issuer`."""
        return self.server.app.identity

    @property
    def oidc_issuer(self) -> str:
        return f"{self.url}/oidc"

    @property
    def credentials(self) -> dict[str, str]:
        """Body fields that authenticate (userId + token)."""
        return {"userId": SANDBOX_USER_ID, "token": SANDBOX_TOKEN}

    @property
    def ssid_credentials(self) -> dict[str, str]:
        return {"ssid": SANDBOX_SSID}

    def api_url(self, action: str) -> str:
        return f"{self.url}/api/v2/Agent/{action}"

    def reset(self) -> None:
        """Start-up faults and page size, CAD all off, counters zero; wakes hanging requests.
        The identity provider's demo users are back in their groups, with no fault."""
        self.state.reset()
        self.identity.reset()

    def set_faults(self, faults: Faults | dict[str, Any] | None = None, **fields: Any) -> Faults:
        """Replace the faults; e.g. `set_faults(error_rate=1.0)` or `set_faults(Faults(...))`."""
        return self.state.set_faults(faults, **fields)

    def set_page_size(self, page_size: int) -> None:
        self.state.set_page_size(page_size)

    @property
    def cad_on(self) -> set[str]:
        """Ids (strings) of the agents with CAD on now."""
        return set(self.state.cad_snapshot())

    def set_cad_on(self, agent_ids) -> None:
        self.state.set_cad_on(agent_ids)

    @property
    def calls(self) -> dict[str, int]:
        """API calls so far: {"list", "setCad", "unsetCad", "total"}."""
        return self.state.snapshot()["calls"]

    def stop(self) -> None:
        self.state.release_hanging()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    *,
    agents: int = DEFAULT_AGENT_COUNT,
    page_size: int = DEFAULT_PAGE_SIZE,
    seed: int = DEFAULT_SEED,
    host: str = DEFAULT_HOST,
    port: int = 0,
    faults: Faults | dict[str, Any] | None = None,
    verbose: bool = False,
) -> RunningSandbox:
    """Start a sandbox serving from a daemon thread; `port=0` picks a free port."""
    server = make_server(
        host=host,
        port=port,
        agents=agents,
        page_size=page_size,
        seed=seed,
        faults=faults,
        verbose=verbose,
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="deepcall-sandbox",
        daemon=True,
    )
    thread.start()
    return RunningSandbox(server=server, thread=thread)


# --- the command line (shared by the management command and `python -m agents.sandbox`) ---


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sandbox's command-line options on `parser`."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"default {DEFAULT_PORT}; 0 picks a free port",
    )
    parser.add_argument(
        "--agents",
        type=int,
        default=DEFAULT_AGENT_COUNT,
        help=(
            f"how many agents (7 published + generated), at most {MAX_AGENT_COUNT}; "
            f"default {DEFAULT_AGENT_COUNT}"
        ),
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        help=f"Agent/list page size; default {DEFAULT_PAGE_SIZE}",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="seed of the generated agents"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    faults = parser.add_argument_group("faults")
    faults.add_argument("--latency-ms", type=int, default=0, help="added to every API call")
    faults.add_argument("--jitter-ms", type=int, default=0, help="plus a random 0..N ms")
    faults.add_argument(
        "--error-rate", type=float, default=0.0, help="share (0..1) of 5xx HTML answers"
    )
    faults.add_argument("--error-status", type=int, default=502, help="status of those answers")
    faults.add_argument("--hang-rate", type=float, default=0.0, help="share of calls that hang")
    faults.add_argument(
        "--hang-seconds", type=float, default=DEFAULT_HANG_SECONDS, help="how long a hang lasts"
    )
    faults.add_argument(
        "--malformed-rate", type=float, default=0.0, help="share of invalid-JSON answers"
    )
    faults.add_argument(
        "--expire-after", type=int, default=None, help="credentials expire (1014) after N calls"
    )
    faults.add_argument(
        "--fail-cad",
        action="append",
        default=[],
        metavar="ID:CODE:MESSAGE",
        help="this agent fails setCad/unsetCad (repeatable)",
    )
    faults.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="ACTION",
        help="this action answers 1015 (repeatable)",
    )
    faults.add_argument(
        "--map-shape", action="store_true", help="answer the documented map shape (nm, keyed by id)"
    )
    faults.add_argument("--ignore-page", action="store_true", help="always answer page 1")
    faults.add_argument("--fault-seed", type=int, default=0, help="seed of the fault RNG")
    faults.add_argument(
        "--churn",
        type=int,
        default=0,
        metavar="N",
        help="each full listing first makes N random changes to the agents (rename, hours, "
        "groups, add, remove, pending deletion), so every sync finds something new",
    )


def faults_from_options(options: dict[str, Any]) -> Faults:
    """The `Faults` that parsed command-line options ask for (raises ValueError if invalid)."""
    cad_failures = {}
    for spec in options.get("fail_cad") or []:
        agent_id, _, rest = spec.partition(":")
        code, _, message = rest.partition(":")
        cad_failures[agent_id] = CadFailure(
            message=message or "Data already in processing", code=int(code) if code else None
        )
    return Faults.from_dict(
        {
            "latency_ms": options.get("latency_ms", 0),
            "jitter_ms": options.get("jitter_ms", 0),
            "error_rate": options.get("error_rate", 0.0),
            "error_status": options.get("error_status", 502),
            "hang_rate": options.get("hang_rate", 0.0),
            "hang_seconds": options.get("hang_seconds", DEFAULT_HANG_SECONDS),
            "malformed_rate": options.get("malformed_rate", 0.0),
            "expire_after": options.get("expire_after"),
            "cad_failures": cad_failures,
            "denied_actions": options.get("deny") or [],
            "map_shape": bool(options.get("map_shape")),
            "ignore_page": bool(options.get("ignore_page")),
            "seed": options.get("fault_seed", 0),
            "churn": options.get("churn") or 0,
        }
    )


def serve(options: dict[str, Any], *, out: TextIO = sys.stdout) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then stop cleanly."""
    server = make_server(
        host=options["host"],
        port=options["port"],
        agents=options["agents"],
        page_size=options["page_size"],
        seed=options["seed"],
        faults=faults_from_options(options),
        verbose=bool(options.get("verbose")),
    )
    url = _url(server)
    state = server.app.state
    out.write(
        f"DeepCall sandbox at {url} ({len(state.dataset.agents)} agents, "
        f"page size {state.page_size})\n"
        f"  credentials: ssid {SANDBOX_SSID!r}, or userId {SANDBOX_USER_ID!r} + token "
        f"{SANDBOX_TOKEN!r}\n"
        f'  try: curl -X POST {url}/api/v2/Agent/list --data-raw \'{{"ssid":"{SANDBOX_SSID}"}}\'\n'
        f"  controls: GET {url}/_sandbox/state, POST {url}/_sandbox/faults, "
        f"POST {url}/_sandbox/reset, POST {url}/_sandbox/mutate\n"
        f"  single sign-on: OpenID provider {url}/oidc (one demo user per role, no password)\n"
    )
    out.flush()

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        state.release_hanging()
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        out.write("DeepCall sandbox stopped.\n")
        out.flush()
