"""The one retry policy, through the real openai, anthropic and ollama SDKs against loopback
servers that inject faults: what is retried, what is not, and the bounds (attempts, total time)."""

from __future__ import annotations

import itertools
import socket
import threading

import httpx
import pytest
from loopback import AnthropicServer, Fault, OllamaServer, OpenAIServer
from loopback.harness import demo, records

from smmile.models.anthropic_backend import AnthropicBackend
from smmile.models.api.backend import ApiSettings
from smmile.models.api.retry import (
    AUTH,
    NOT_FOUND,
    PERMANENT,
    TRANSIENT,
    UNREACHABLE,
    AttemptLog,
    MalformedReply,
    RetryPolicy,
    classify,
    retry_after_s,
)
from smmile.models.ollama_backend import OllamaBackend
from smmile.models.openai_backend import OpenAIBackend, OpenAIService
from smmile.runner import RunConfig, run_model

FAST = {"retry-after-ms": "5"}
BACKENDS = ("openai", "anthropic", "ollama")
SERVERS = {"openai": OpenAIServer, "anthropic": AnthropicServer, "ollama": OllamaServer}
MODEL_IDS = {"openai": "gpt-4o", "anthropic": "claude-3-7-sonnet", "ollama": "llama33textonly"}


def backend(kind: str, server, concurrency: int = 4, **retry):
    policy = RetryPolicy(**{"backoff_initial_s": 0.01, **retry})
    settings = ApiSettings(concurrency=concurrency, retry=policy)
    if kind == "openai":
        return OpenAIBackend(
            "gpt-4o", OpenAIService("compatible", "k", base_url=server.url + "/v1"), settings
        )
    if kind == "anthropic":
        return AnthropicBackend("claude-3-7-sonnet-20250219", "k", settings, base_url=server.url)
    return OllamaBackend("llama3.3", server.url, settings)


def config(tmp_path, kind: str) -> RunConfig:
    return RunConfig(
        model=MODEL_IDS[kind],
        inference_mode="ICL",
        task_format="open",
        output_dir=tmp_path,
        dataset_id=demo().dataset_id,
        progress=False,
    )


def fault_mix() -> list[Fault]:
    """The reported mix: 429 with retry-after, 500, 503, and a 200 whose body is not JSON."""
    return [
        Fault(429, headers={"retry-after": "0.01"}),
        Fault(500, headers=FAST),
        Fault(503, headers=FAST),
        Fault(200, body=b'{"choices": [ {"message": trunc'),
    ]


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_fault_mix_is_answered_in_one_run(tmp_path, kind):
    """Every problem's first request fails (and a third of them a second time), each fault kind
    in turn: one run answers all of them."""
    problems = demo().problems
    mix = itertools.cycle(fault_mix())
    faults = []
    for i, problem in enumerate(problems):
        for _ in range(2 if i % 3 == 0 else 1):
            fault = next(mix)
            faults.append(Fault(fault.status, fault.body, fault.headers, match=problem.query.question))
    with SERVERS[kind]() as server:
        server.inject(*faults)
        summary = run_model(config(tmp_path, kind), demo(), backend(kind, server))
        assert server.pending_faults() == 0
        assert server.count == len(problems) + len(faults)
    assert summary.ok == len(problems) and summary.errors == 0
    rows = records(config(tmp_path, kind).result_path)
    assert all(r["status"] == "ok" for r in rows) and len(rows) == len(problems)
    assert sorted(r["usage"]["retries"] for r in rows) == sorted(
        2 if i % 3 == 0 else 1 for i in range(len(problems))
    )


@pytest.mark.parametrize("kind", BACKENDS)
def test_thirty_percent_of_requests_failing_at_random_leave_no_error_record(tmp_path, kind):
    """The reported run: 30% of requests fail (the mix above, drawn at random); one run answers all."""
    with SERVERS[kind](fault_rate=0.3, fault_mix=tuple(fault_mix()), seed=7) as server:
        summary = run_model(config(tmp_path, kind), demo(), backend(kind, server))
        assert server.faults_injected >= 1 and server.count == len(demo().problems) + server.faults_injected
    assert summary.ok == len(demo().problems) and summary.errors == 0


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_permanent_statuses_are_not_retried(tmp_path, kind, status):
    with SERVERS[kind]() as server:
        server.inject(Fault(status, match="mammogram"))
        summary = run_model(config(tmp_path, kind), demo(), backend(kind, server))
        assert server.count == len(demo().problems)
    (failed,) = [r for r in records(config(tmp_path, kind).result_path) if r["status"] == "error"]
    assert str(status) in failed["error"] and summary.errors == 1


@pytest.mark.parametrize("kind", BACKENDS)
def test_attempts_are_bounded_by_max_retries_across_sdk_and_policy_retries(tmp_path, kind):
    """Malformed bodies (retried by the policy) and 503s (retried by the SDK where it can) share
    one count: max_retries 3 means 4 attempts in all."""
    faults = [Fault(200, body=b"{oops", match="mammogram"), Fault(503, headers=FAST, match="mammogram")] * 5
    with SERVERS[kind]() as server:
        server.inject(*faults)
        run_model(config(tmp_path, kind), demo(), backend(kind, server, max_retries=3))
        mammogram = [r for r in server.requests if b"mammogram" in r.body]
        assert len(mammogram) == 4
    (failed,) = [r for r in records(config(tmp_path, kind).result_path) if r["status"] == "error"]
    assert failed["usage"]["retries"] == 3


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_server_that_never_answers_costs_the_total_timeout_not_the_retries(tmp_path, kind):
    """Reported: 120 s timeout x 6 attempts, about 12 minutes per request. Now --total-timeout
    bounds a request, waits included."""
    with SERVERS[kind]() as server:
        server.inject(*[Fault(None, delay=30.0, match="mammogram") for _ in range(10)])
        run_model(
            config(tmp_path, kind),
            demo(),
            backend(kind, server, max_retries=8, read_timeout_s=0.4, total_timeout_s=1.0),
        )
        mammogram = [r for r in server.requests if b"mammogram" in r.body]
        assert 1 <= len(mammogram) <= 3  # not the 9 that --max-retries allows
    (failed,) = [r for r in records(config(tmp_path, kind).result_path) if r["status"] == "error"]
    assert "--total-timeout 1 s" in failed["error"] or "Timeout" in failed["error"]
    assert failed["latency_s"] < 5


@pytest.mark.parametrize("kind", ["openai", "ollama"])
def test_a_retry_after_longer_than_the_time_left_fails_at_once(tmp_path, kind):
    with SERVERS[kind]() as server:
        server.inject(Fault(429, headers={"retry-after": "3600"}, match="mammogram"))
        run_model(config(tmp_path, kind), demo(), backend(kind, server, total_timeout_s=60))
        assert server.count == len(demo().problems)
    (failed,) = [r for r in records(config(tmp_path, kind).result_path) if r["status"] == "error"]
    assert "429" in failed["error"] and "wait 3600.0 s, more than the" in failed["error"]
    assert failed["latency_s"] < 5


def test_the_server_saying_do_not_retry_is_obeyed(tmp_path):
    with OllamaServer() as server:
        server.inject(Fault(503, headers={"x-should-retry": "false"}, match="mammogram"))
        run_model(config(tmp_path, "ollama"), demo(), backend("ollama", server))
        assert server.count == len(demo().problems)


def test_a_refused_connection_is_retried_until_the_server_is_back(tmp_path):
    """Refused connections are transient: requests sent while the server is down are answered once
    it comes up during the backoff."""
    with socket.socket() as probe:  # a free port, nothing listening on it yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = OllamaServer(port=port)
    later = threading.Timer(0.5, server.start)
    later.start()
    try:
        settings = ApiSettings(retry=RetryPolicy(backoff_initial_s=0.2))
        summary = run_model(
            config(tmp_path, "ollama"), demo(), OllamaBackend("llama3.3", server_url(port), settings)
        )
    finally:
        later.join()
        server.stop()
    assert summary.ok == len(demo().problems)
    rows = records(config(tmp_path, "ollama").result_path)
    assert any(r["usage"].get("retries") for r in rows)  # those sent while nothing listened


def server_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


# --- the rules, one by one ---------------------------------------------------------------------


class StatusError(Exception):
    def __init__(self, status_code):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


@pytest.mark.parametrize(
    "exc, kind",
    [
        (StatusError(429), TRANSIENT),
        (StatusError(408), TRANSIENT),
        (StatusError(500), TRANSIENT),
        (StatusError(529), TRANSIENT),
        (StatusError(401), AUTH),
        (StatusError(403), AUTH),
        (StatusError(404), NOT_FOUND),
        (StatusError(400), PERMANENT),
        (StatusError(422), PERMANENT),
        (MalformedReply("x"), TRANSIENT),
        (httpx.ConnectError("refused"), UNREACHABLE),
        (httpx.ReadTimeout("slow"), UNREACHABLE),
        (ConnectionError("down"), UNREACHABLE),
        (ValueError("problem p: 3 images in a system turn"), PERMANENT),
    ],
)
def test_classification(exc, kind):
    assert classify(exc).kind == kind


def test_the_status_seen_on_the_wire_classifies_errors_without_one():
    log = AttemptLog(sent=1, status=503, should_retry=False)
    assert classify(StatusError(503), log).kind == PERMANENT  # x-should-retry: false
    assert classify(RuntimeError("?"), AttemptLog(sent=1, status=401)).kind == AUTH


def test_retry_after_forms():
    assert retry_after_s({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_s({"retry-after": "2"}) == 2.0
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}) > 50
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


def test_backoff_doubles_with_jitter_up_to_the_cap():
    policy = RetryPolicy()
    for retry, base in [(0, 0.5), (1, 1.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        waits = [policy.backoff_s(retry) for _ in range(50)]
        assert all(0.75 * base <= w <= base for w in waits) and len(set(waits)) > 1


def test_timeouts_are_split_into_connect_and_read():
    timeout = RetryPolicy(read_timeout_s=120, connect_timeout_s=10).timeout(httpx)
    assert (timeout.connect, timeout.read) == (10, 120)
    defaults = RetryPolicy()
    # a server that never answers: one request costs at most the total, not (retries + 1) x timeout
    assert defaults.total_timeout_s < (defaults.max_retries + 1) * defaults.read_timeout_s
    assert defaults.total_timeout_s <= 300 and defaults.connect_timeout_s <= 10
