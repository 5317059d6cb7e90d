"""A small threaded HTTP server on 127.0.0.1 (port 0) that records requests and injects faults.

Subclasses speak one provider's protocol (see protocols.py). The server is bounded: it answers at
most `max_requests` requests (then 503 with `x-should-retry: false`), stops by itself after
`lifetime_s`, and a slow reply or a held request wakes up as soon as the server stops.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any  # the parsed body, or None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Fault:
    """What to send instead of a normal reply: a status, headers, a raw body, a delay.

    `status=None` means the normal reply, only delayed by `delay` seconds (a slow reply).
    `match`: only a request whose body contains this text takes the fault.
    """

    status: int | None = 500
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    match: str | None = None


@dataclass
class Reply:
    """A normal reply: the text the model "generated" and its token counts."""

    text: str
    input_tokens: int = 10
    output_tokens: int = 3


ReplyFn = Callable[[Recorded], Reply | str]


class LoopbackServer:
    """Base class: subclasses define `routes` (path predicate) and `render_reply`."""

    name = "loopback"

    def __init__(
        self,
        reply: ReplyFn | None = None,
        latency: float = 0.0,
        max_requests: int = 20_000,
        lifetime_s: float = 600.0,
        hold_until: int = 0,
        hold_timeout: float = 5.0,
        models: tuple[str, ...] = ("llama3.3",),
        port: int = 0,
        fault_rate: float = 0.0,
        fault_mix: tuple[Fault, ...] = (),
        seed: int = 0,
    ):
        """`hold_until`: keep the first requests waiting until this many are in flight at once (or
        `hold_timeout` passes), so a test can see concurrency without timing anything.
        `models`: what the model listing (a client's cheap "is the server there" request) names;
        listing requests are kept in `probes`, apart from `requests`, and take no fault.
        `port`: 0 for any free port. `fault_rate`: the share of requests (without a queued fault)
        that take a fault drawn from `fault_mix` (seeded by `seed`); `faults_injected` counts them."""
        self.reply_fn = reply or self.default_reply
        self.models = models
        self.probes: list[Recorded] = []
        self.latency = latency
        self.max_requests = max_requests
        self.lifetime_s = lifetime_s
        self.hold_until = hold_until
        self.hold_timeout = hold_timeout
        self._port = port
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: deque[Fault] = deque()
        self.fault_rate = fault_rate
        self.fault_mix = tuple(fault_mix)
        self.faults_injected = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._held = threading.Condition(self._lock)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
            disable_nagle_algorithm = True  # no delayed-ACK stall between header and body writes
            timeout = 10  # an idle kept-alive connection is closed after this many seconds

            def do_POST(self):  # noqa: N802 (the http.server spelling)
                server._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, format, *args):  # silence the per-request log lines
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many clients connect at once
            daemon_threads = True

        self._httpd = Server(("127.0.0.1", self._port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime_s, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._held:
            self._held.notify_all()
        if self._timer is not None:
            self._timer.cancel()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test controls -------------------------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each is used once, by the next request it matches."""
        with self._lock:
            self._faults.extend(faults)

    def release(self) -> None:
        """Let the requests held by `hold_until` go now."""
        with self._held:
            self.hold_until = 0
            self._held.notify_all()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.probes.clear()
            self._faults.clear()
            self.max_in_flight = 0

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    # --- protocol hooks --------------------------------------------------------------------------

    def routes(self, path: str) -> bool:
        raise NotImplementedError

    def render_reply(self, request: Recorded, reply: Reply) -> dict[str, Any]:
        raise NotImplementedError

    def listing(self, path: str) -> dict[str, Any] | None:
        """The body answering a GET of the protocol's model list at `path`; None: not that route."""
        return None

    def default_reply(self, request: Recorded) -> Reply:
        """A deterministic answer derived from the request's last text."""
        return Reply(f"answer to: {self.last_text(request)[-40:]}")

    def last_text(self, request: Recorded) -> str:
        raise NotImplementedError

    # --- handling --------------------------------------------------------------------------------

    def _take_fault(self, body: bytes) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.match is None or fault.match.encode() in body:
                del self._faults[i]
                return fault
        if self.fault_mix and self._rng.random() < self.fault_rate:
            self.faults_injected += 1
            return self._rng.choice(self.fault_mix)
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        rec = Recorded(
            method=h.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
            json=parsed,
        )
        listed = self.listing(parts.path) if h.command == "GET" else None
        if listed is not None:
            with self._lock:
                self.probes.append(rec)
            self._send(h, 200, json.dumps(listed).encode())
            return
        with self._lock:
            self.requests.append(rec)
            over_budget = len(self.requests) > self.max_requests
            fault = self._take_fault(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._held.notify_all()
        try:
            if over_budget:
                self._send(h, 503, b'{"error": "request budget exhausted"}', {"x-should-retry": "false"})
                return
            if not self.routes(parts.path):
                self._send(h, 404, b'{"error": "no such route"}')
                return
            self._hold()
            delay = self.latency + (fault.delay if fault else 0.0)
            if delay and self._stopping.wait(delay):
                return  # the server is stopping: drop the connection
            if fault is not None and fault.status is not None:
                self._send(h, fault.status, fault.body or b'{"error": "injected fault"}', fault.headers)
                return
            answer = self.reply_fn(rec)
            reply = answer if isinstance(answer, Reply) else Reply(str(answer))
            self._send(h, 200, json.dumps(self.render_reply(rec, reply)).encode())
        finally:
            with self._lock:
                self.in_flight -= 1

    def _hold(self) -> None:
        if not self.hold_until:
            return
        deadline = time.monotonic() + self.hold_timeout
        with self._held:
            while self.max_in_flight < self.hold_until and not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._held.wait(left)
            self.hold_until = 0  # holding is for the first wave only

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None):
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(body)))
            for name, value in (headers or {}).items():
                h.send_header(name, value)
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
        except OSError:  # the client gave up (a timeout): nothing to do
            pass
