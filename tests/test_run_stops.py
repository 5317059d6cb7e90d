"""How a run ends: one line after requests in a row fail for authentication, not found or no reply
(records already written kept, non-zero exit), the judge likewise; the summary line names the most
common error."""

from __future__ import annotations

from functools import partial

import pytest
from loopback import AnthropicServer, Fault, OllamaServer, OpenAIServer, Reply
from loopback.harness import demo, records, run_on_demo, run_openai_on_demo, run_script, script_env

from smmile.judge.cache import JudgeCache
from smmile.judge.judging import Judge, make_judge_backend, prompt_hash
from smmile.models.api.backend import ApiSettings
from smmile.models.api.retry import FailureStreak, RetryPolicy, ServiceRefused
from smmile.models.openai_backend import OpenAIBackend, OpenAIService
from smmile.runner import RunConfig, run_model

KEY = "sk-loopback-stop-5d2e"
N = len(demo().problems)


run_openai = partial(run_openai_on_demo, key=KEY)


class Gone:
    """Where a stopped server was."""

    def __init__(self, url: str):
        self.url = url


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("status, cause", [(401, "authentication failed"), (403, "authentication failed")])
def test_every_request_refused_stops_after_three_with_the_cause_and_server(tmp_path, status, cause):
    """Reported: every request answered 401; the run sent them all and ended "60/60 problems failed"."""
    path = tmp_path / "results_demo" / "result_gpt-4o_ICL_open.jsonl"
    with OpenAIServer() as server:
        assert run_openai(server, tmp_path, "--limit", "4").returncode == 0
        server.reset()
        server.inject(*[Fault(status, body=b'{"error": {"message": "Incorrect API key"}}') for _ in range(N)])
        proc = run_openai(server, tmp_path, "--concurrency", "1")
        assert server.count == 3
        url = server.url + "/v1"
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert cause in line and str(status) in line and url in line
    assert "3 requests in a row" in line and "kept" in line
    rows = records(path)
    assert sum(r["status"] == "ok" for r in rows) == 4  # what was written before is kept
    assert sum(r["status"] == "error" for r in rows) == 3


def test_with_concurrency_the_run_stops_soon_after_the_streak(tmp_path):
    with OpenAIServer() as server:
        server.inject(*[Fault(401) for _ in range(N)])
        proc = run_openai(server, tmp_path, "--concurrency", "4")
        assert 3 <= server.count <= 3 + 4
    assert proc.returncode == 2 and "authentication failed" in one_line(proc.stderr)


def test_a_model_ollama_does_not_have_stops_the_run_naming_not_found(tmp_path):
    not_found = b'{"error": "model \'llama9\' not found, try pulling it first"}'
    with OllamaServer() as server:
        server.inject(*[Fault(404, body=not_found) for _ in range(N)])
        proc = run_on_demo(
            "inference_llama33textonly.py", tmp_path, "--ollama-host", server.url, "--concurrency", "1"
        )
        assert server.count == 3
        url = server.url
    line = one_line(proc.stderr)
    assert proc.returncode == 2 and "not found" in line and "llama9" in line and url in line


def test_an_unreachable_server_stops_the_run(tmp_path):
    """A server gone during a run (the scripts' check before sending sees one down from the start)."""
    server = OpenAIServer().start()
    url = server.url + "/v1"
    server.stop()  # nothing listens there any more
    policy = RetryPolicy(max_retries=0, stop_after=2)
    backend = OpenAIBackend(
        "gpt-4o", OpenAIService("compatible", KEY, base_url=url), ApiSettings(1, retry=policy)
    )
    config = RunConfig(
        model="gpt-4o", inference_mode="ICL", task_format="open", output_dir=tmp_path, progress=False
    )
    with pytest.raises(ServiceRefused) as info:
        run_model(config, demo(), backend)
    message = str(info.value)
    assert "no reply" in message and "2 requests in a row" in message and url in message
    assert len(records(config.result_path)) == 2


def test_anthropic_refusals_stop_too(tmp_path):
    with AnthropicServer() as server:
        server.inject(
            *[Fault(401, body=b'{"type":"error","error":{"type":"authentication_error"}}') for _ in range(N)]
        )
        env = script_env(ANTHROPIC_API_KEY=KEY)
        proc = run_on_demo(
            "inference_anthropic.py", tmp_path, "--base-url", server.url, "--concurrency", "1", env=env
        )
        assert server.count == 3
    assert proc.returncode == 2 and "authentication failed" in one_line(proc.stderr)
    assert KEY not in proc.stderr


def test_the_streak_counts_only_refusals_in_a_row():
    streak = FailureStreak(3, "http://h")
    for kind in ["auth", "auth", None, "auth", "auth", "transient", "not_found", "not_found"]:
        streak.see(kind, "e")  # broken by an ok reply, another failure, or another cause
    assert streak.refusal is None
    streak.see("not_found", "model m not found")
    assert streak.tripped_at == 9 and "3 requests in a row to http://h failed: not found" in str(
        streak.refusal
    )
    assert isinstance(streak.refusal, ServiceRefused)


# --- the judge ----------------------------------------------------------------------------------


def judge_backend(kind: str, server, concurrency: int = 2):
    settings = ApiSettings(concurrency=concurrency, retry=RetryPolicy(backoff_initial_s=0.01))
    url = server.url + ("/v1" if kind == "openai" else "")
    return make_judge_backend(kind, "llama3.3", url, settings)


@pytest.mark.parametrize("kind, server_cls", [("ollama", OllamaServer), ("openai", OpenAIServer)])
def test_the_judge_retries_the_fault_mix_within_the_run(tmp_path, kind, server_cls, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    texts = [f"judge prompt {i}" for i in range(4)]
    with server_cls(reply=lambda request: Reply("1")) as server:
        server.inject(
            Fault(200, body=b"{not json", match="prompt 0"),
            Fault(429, headers={"retry-after": "0.01"}, match="prompt 1"),
            Fault(500, headers={"retry-after-ms": "5"}, match="prompt 2"),
            Fault(503, headers={"retry-after-ms": "5"}, match="prompt 3"),
        )
        with JudgeCache.in_folder(tmp_path) as cache:
            run = Judge(judge_backend(kind, server), kind, "llama3.3", cache).judge_all(texts)
        assert server.count == 8
    assert run.failed == 0 and run.sent == 4
    assert all(v.correct and v.well_formed for v in run.verdicts.values())


def test_the_judge_stops_on_refusals_keeping_what_it_cached(tmp_path):
    texts = [f"judge prompt {i}" for i in range(10)]
    with OllamaServer(reply=lambda request: Reply("0")) as server:
        server.inject(*[Fault(401, match=f"prompt {i}") for i in range(2, 10)])
        with JudgeCache.in_folder(tmp_path) as cache:
            judge = Judge(judge_backend("ollama", server, concurrency=1), "ollama", "llama3.3", cache)
            with pytest.raises(ServiceRefused, match="authentication failed"):
                judge.judge_all(texts)
        assert server.count == 5
    with JudgeCache.in_folder(tmp_path) as cache:
        cached = cache.lookup("ollama", "llama3.3", [prompt_hash(t) for t in texts])
    assert len(cached) == 2  # the verdicts received before the stop


def test_a_stop_closes_the_client_before_it_is_raised(tmp_path):
    """The refusal that stops a run leaves no request, client or event loop behind to be closed
    whenever it is collected (by then another loop may be running)."""
    texts = [f"judge prompt {i}" for i in range(6)]
    closed: list[bool] = []
    with OllamaServer(reply=lambda request: Reply("0")) as server:
        server.inject(*[Fault(401, match=f"prompt {i}") for i in range(6)])
        backend = judge_backend("ollama", server, concurrency=1)
        close = backend.close_client

        async def closing_client(client):
            closed.append(True)
            await close(client)

        backend.close_client = closing_client
        with JudgeCache.in_folder(tmp_path) as cache, pytest.raises(ServiceRefused) as stopped:
            Judge(backend, "ollama", "llama3.3", cache).judge_all(texts)
        assert stopped.value is not None and closed == [True]


# --- the summary line ---------------------------------------------------------------------------


def test_the_summary_line_names_the_most_common_error(tmp_path):
    bad = b'{"error": {"message": "image too large"}}'
    with OpenAIServer() as server:
        server.inject(
            *[Fault(400, body=bad, match=q) for q in ("mammogram", "EEG", "fracture")],
            Fault(422, body=b'{"error": {"message": "unprocessable"}}', match="ultrasound"),
        )
        proc = run_openai(server, tmp_path)
    assert proc.returncode == 3  # 4 of 12 failed: over --max-error-rate
    (line,) = [x for x in proc.stdout.splitlines() if "error(s) of" in x]
    assert "8 ok, 4 error(s) of 12 problems" in line
    assert "4 errors, most common (3): BadRequestError: Error code: 400" in line and "image too large" in line
    with OpenAIServer() as server:
        proc = run_openai(server, tmp_path)  # the re-run retries the four and they succeed
    assert proc.returncode == 0 and "most common" not in proc.stdout


def test_the_judge_script_stops_in_one_line_on_refusals(tmp_path):
    with OpenAIServer() as server:
        assert run_openai(server, tmp_path).returncode == 0
    folder = tmp_path / "results_demo"
    with OllamaServer(reply=lambda request: Reply("1")) as server:
        server.inject(*[Fault(401, body=b'{"error": "unauthorized"}') for _ in range(N)])
        proc = run_script(
            "evaluate_LLMJudge.py",
            str(folder),
            "--judge-base-url",
            server.url,
            "--no-progress",
            "--concurrency",
            "1",
        )
        assert server.count == 3
        url = server.url
    line = one_line(proc.stderr)
    assert proc.returncode == 2 and "authentication failed" in line and url in line
    assert len(records(folder / "result_gpt-4o_ICL_open.jsonl")) == N  # the results are untouched
