"""The one retry policy of every API request: the inference backends' and the judge's.

What is retried (transient): HTTP 408, 409, 429 and 5xx (429 and 503 waiting what `retry-after`
asks), timeouts, refused or dropped connections, and a 200 reply whose body does not parse (not
JSON, or not the protocol's shape). What is not (permanent): every other status (400, 401, 403,
404, 422, ...), a server saying `x-should-retry: false`, and any reply the model actually gave.

Bounds: at most `max_retries` retries and `total_timeout_s` seconds per request, waits
included; a wait the server asks for that would pass the total is not waited for: the request
fails at once. Backoff between attempts: `backoff_initial_s * 2**retry`, at most
`backoff_max_s`, less a random 0-25% (jitter).

Who does what: the openai and anthropic SDKs retry HTTP faults themselves, with these very
constants (their INITIAL_RETRY_DELAY 0.5 s, MAX_RETRY_DELAY 8 s, the same jitter and statuses);
they are given the attempts left. This module adds what they lack: retries of replies that do
not parse, the total time per request, retry-after beyond what the time left allows, and every
retry of the ollama SDK, which has none of its own. Attempts are counted on the wire (httpx
event hooks, per request through a context variable), so SDK retries and retries here share
one count.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from smmile.errors import UserError

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({408, 409, 429})  # and every 5xx
AUTH_STATUS = frozenset({401, 403})
NOT_FOUND_STATUS = frozenset({404})
# Failure kinds. A run stops after `stop_after` requests in a row fail with one of STOP_KINDS.
AUTH, NOT_FOUND, UNREACHABLE, TRANSIENT, PERMANENT = (
    "auth",
    "not_found",
    "unreachable",
    "transient",
    "permanent",
)
STOP_KINDS = (AUTH, NOT_FOUND, UNREACHABLE)


class MalformedReply(Exception):
    """A 200 reply whose body does not parse into the protocol's shape (transient)."""


class RequestBudgetSpent(Exception):
    """No reply within the total time allowed to one request."""


@dataclass
class AttemptLog:
    """What one request saw on the wire: attempts sent and the last HTTP reply's status."""

    sent: int = 0
    status: int | None = None
    retry_after: float | None = None
    should_retry: bool | None = None

    def last(self) -> str:
        if self.status is None:
            return "no reply"
        wait = f", retry-after {self.retry_after:g} s" if self.retry_after is not None else ""
        return f"HTTP {self.status}{wait}"


_CURRENT: ContextVar[AttemptLog | None] = ContextVar("smmile_attempt_log", default=None)


async def _on_request(request: Any) -> None:
    log = _CURRENT.get()
    if log is not None:
        log.sent += 1
        log.status = log.retry_after = log.should_retry = None


async def _on_response(response: Any) -> None:
    log = _CURRENT.get()
    if log is not None:
        log.status = response.status_code
        log.retry_after = retry_after_s(response.headers)
        flag = response.headers.get("x-should-retry")
        log.should_retry = {"true": True, "false": False}.get(flag or "")


EVENT_HOOKS: Mapping[str, list[Callable[[Any], Awaitable[None]]]] = {
    "request": [_on_request],
    "response": [_on_response],
}
"""httpx (and httpx2) event hooks that count each request's attempts: give them to every client."""


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The wait a reply asks for: `retry-after-ms`, else `retry-after` in seconds or as a date."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / scale)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError, OverflowError):
            return None
    return None


@dataclass(frozen=True)
class Failure:
    kind: str
    status: int | None = None

    @property
    def transient(self) -> bool:
        return self.kind in (TRANSIENT, UNREACHABLE)


def _no_reply_errors() -> tuple[type[BaseException], ...]:
    """Timeouts and connection failures of whichever HTTP stacks are loaded."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError, RequestBudgetSpent]
    for module, name in (
        ("httpx", "TransportError"),
        ("httpx2", "TransportError"),
        ("openai", "APIConnectionError"),  # its APITimeoutError too
        ("anthropic", "APIConnectionError"),
    ):
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def classify(exc: BaseException, log: AttemptLog | None = None) -> Failure:
    """Transient or permanent, and why (the status from the SDK's error or from the wire)."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int) or status < 100:
        status = log.status if log is not None and log.status not in (None, 200) else None
    if isinstance(exc, MalformedReply):
        return Failure(TRANSIENT, status)
    if status is None:
        return Failure(UNREACHABLE if isinstance(exc, _no_reply_errors()) else PERMANENT)
    if status in AUTH_STATUS:
        return Failure(AUTH, status)
    if status in NOT_FOUND_STATUS:
        return Failure(NOT_FOUND, status)
    if log is not None and log.should_retry is False:
        return Failure(PERMANENT, status)
    if status in TRANSIENT_STATUS or status >= 500:
        return Failure(TRANSIENT, status)
    return Failure(PERMANENT, status)


async def parsed(reply: Awaitable[T]) -> T:
    """Await an SDK call; a body it could not parse (JSON or shape: a ValueError) is MalformedReply."""
    try:
        return await reply
    except ValueError as exc:
        raise MalformedReply(f"the reply does not parse: {type(exc).__name__}: {exc}") from exc


@dataclass
class Outcome(Generic[T]):
    """How a request ended: its value, or the error that ended it and its failure kind."""

    value: T | None
    error: BaseException | None = None
    failure: Failure | None = None
    attempts: int = 0
    note: str = ""  # why a transient error was not retried further, when that is not obvious


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and backoff of every API request (the flags of add_api_args set them)."""

    max_retries: int = 8
    read_timeout_s: float = 120.0  # --timeout: the wait for one attempt's reply
    connect_timeout_s: float = 10.0  # --connect-timeout
    total_timeout_s: float = 300.0  # --total-timeout: one request, every attempt and wait included
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    stop_after: int = 3  # --stop-after: consecutive auth / not-found / unreachable failures

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise UserError("--max-retries must be 0 or more")
        for flag, value in (
            ("--timeout", self.read_timeout_s),
            ("--connect-timeout", self.connect_timeout_s),
            ("--total-timeout", self.total_timeout_s),
        ):
            if not value > 0:
                raise UserError(f"{flag} must be more than 0 seconds")
        if self.stop_after < 1:
            raise UserError("--stop-after must be at least 1")

    def timeout(self, httpx_module: Any) -> Any:
        """The per-attempt timeout as the client library's Timeout (httpx or httpx2)."""
        return httpx_module.Timeout(self.read_timeout_s, connect=self.connect_timeout_s)

    def backoff_s(self, retry: int) -> float:
        """The wait before retry number `retry` (0-based), with jitter."""
        base = min(self.backoff_initial_s * 2.0 ** min(retry, 64), self.backoff_max_s)
        return base * (1 - 0.25 * random.random())

    async def call(self, attempt: Callable[[int], Awaitable[T]], sdk_retries: bool) -> Outcome[T]:
        """Run `attempt(retries the SDK may take)` until it succeeds or the policy gives up."""
        log = AttemptLog()
        token = _CURRENT.set(log)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total_timeout_s
        try:
            while True:
                sdk_budget = max(0, self.max_retries - log.sent) if sdk_retries else 0
                try:
                    value = await asyncio.wait_for(attempt(sdk_budget), deadline - loop.time())
                    return Outcome(value, attempts=log.sent)
                except Exception as exc:
                    if isinstance(exc, asyncio.TimeoutError) and loop.time() >= deadline - 0.01:
                        spent = RequestBudgetSpent(
                            f"no reply within --total-timeout {self.total_timeout_s:g} s "
                            f"({log.sent} attempt(s); last: {log.last()})"
                        )
                        return Outcome(None, spent, classify(spent, log), log.sent)
                    failure = classify(exc, log)
                    outcome = Outcome(None, exc, failure, log.sent)
                    if not failure.transient or log.sent > self.max_retries:
                        return outcome
                    wait = log.retry_after if log.retry_after else self.backoff_s(max(0, log.sent - 1))
                    left = deadline - loop.time()
                    if wait >= left:
                        outcome.note = (
                            f"a retry would wait {wait:.1f} s, more than the {max(left, 0):.1f} s left "
                            f"of --total-timeout {self.total_timeout_s:g} s"
                        )
                        return outcome
                    await asyncio.sleep(wait)
        finally:
            _CURRENT.reset(token)

    def describe(self) -> dict[str, Any]:
        return {
            "max_retries": self.max_retries,
            "timeout_s": self.read_timeout_s,
            "connect_timeout_s": self.connect_timeout_s,
            "total_timeout_s": self.total_timeout_s,
            "backoff_s": [self.backoff_initial_s, self.backoff_max_s],
            "stop_after": self.stop_after,
        }


class ServiceRefused(UserError):
    """The server refused requests in a row (authentication, not found, no reply): the run stops."""


_STOP_WORDS = {
    AUTH: ("authentication failed", "check the API key and its permissions"),
    NOT_FOUND: ("not found", "check --model and the server address"),
    UNREACHABLE: (
        "no reply",
        "check that the server is up and reachable (or raise --timeout / --total-timeout)",
    ),
}


@dataclass
class FailureStreak:
    """Counts requests in a row (in the order they finish) that failed with the same stop kind;
    after `stop_after` of them, `refusal` is the error that stops the run (`tripped_at`: the
    number of responses seen by then)."""

    stop_after: int
    server: str
    kind: str | None = None
    count: int = 0
    seen: int = 0
    tripped_at: int = 0
    refusal: ServiceRefused | None = None

    def see(self, error_kind: str | None, error: str | None) -> None:
        self.seen += 1
        if self.refusal is not None:
            return
        if error_kind not in STOP_KINDS:
            self.kind, self.count = None, 0
            return
        self.count = self.count + 1 if error_kind == self.kind else 1
        self.kind = error_kind
        if self.count >= self.stop_after:
            cause, hint = _STOP_WORDS[error_kind]
            detail = (error or "")[:300]
            self.tripped_at = self.seen
            self.refusal = ServiceRefused(
                f"stopped after {self.count} requests in a row to {self.server} failed: {cause} "
                f"({detail}); {hint}. The records written so far are kept: re-run to resume"
            )
