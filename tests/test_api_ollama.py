"""The text-only baseline (inference_llama33textonly.py) against a loopback ollama server, through
the real ollama SDK; the ollama backend's own bounded retries."""

from __future__ import annotations

import pytest
from loopback import Fault, OllamaServer
from loopback.harness import demo, demo_prompts, files_containing, records, run_on_demo, script_env

from smmile.models.api.backend import ApiSettings
from smmile.models.api.retry import RetryPolicy
from smmile.models.base import GenerationConfig
from smmile.models.ollama_backend import OllamaBackend
from smmile.runner import RunConfig, run_model


def run_textonly(server, out, *args, env=None):
    return run_on_demo(
        "inference_llama33textonly.py",
        out,
        "--ollama-host",
        server.url,
        *args,
        env=env or script_env(),
    )


@pytest.mark.parametrize("mode, fmt", [("ICL", "open"), ("0-shot", "open"), ("ICL", "mcqa")])
def test_text_only_prompts_one_user_turn_no_images_no_options(tmp_path, mode, fmt):
    with OllamaServer() as server:
        proc = run_textonly(server, tmp_path, "--inference_mode", mode, "--task_format", fmt)
        assert proc.returncode == 0, proc.stderr
        expected = sorted(p.messages[0].text for p in demo_prompts("llama33textonly", mode, fmt))
        sent = []
        for req in server.requests:
            body = req.json
            assert req.path == "/api/chat" and body["model"] == "llama3.3" and body["stream"] is False
            assert "options" not in body  # the paper left ollama's sampling on
            (message,) = body["messages"]
            assert message["role"] == "user" and "images" not in message
            sent.append(message["content"])
        assert sorted(sent) == expected
        assert all(t.startswith("You are an expert medical question-answering system.") for t in sent)
    rows = records(tmp_path / "results_demo" / f"result_llama33textonly_{mode}_{fmt}.jsonl")
    assert len(rows) == len(demo().problems) and all(r["status"] == "ok" for r in rows)


def test_temperature_flag_makes_it_deterministic(tmp_path):
    with OllamaServer() as server:
        proc = run_textonly(server, tmp_path, "--temperature", "0", "--limit", "2")
        assert proc.returncode == 0, proc.stderr
        assert [r.json["options"] for r in server.requests] == [{"temperature": 0.0}] * 2


def test_an_ollama_key_is_sent_but_never_written(tmp_path):
    key = "ollama-loopback-SECRET-5d2e"
    with OllamaServer() as server:
        server.inject(Fault(401, body=f'{{"error": "unauthorized: {key}"}}'.encode()))
        proc = run_textonly(server, tmp_path, "--limit", "3", env=script_env(OLLAMA_API_KEY=key))
        assert proc.returncode == 3  # one of three failed: over --max-error-rate
        assert {r.header("authorization") for r in server.requests} == {f"Bearer {key}"}
    rows = records(tmp_path / "results_demo" / "result_llama33textonly_ICL_open.jsonl")
    (failed,) = [r for r in rows if r["status"] == "error"]
    assert "[redacted]" in failed["error"]
    assert not files_containing(key, tmp_path) and key not in proc.stdout + proc.stderr


def test_unreachable_server_stops_before_the_run_in_one_line(tmp_path):
    """The model list is asked first (tests/test_base_url_preflight.py): no error record per problem."""
    server = OllamaServer().start()
    url = server.url
    server.stop()  # nothing listens there any more
    proc = run_on_demo(
        "inference_llama33textonly.py",
        tmp_path,
        "--ollama-host",
        url,
        "--max-retries",
        "0",
        "--limit",
        "2",
        env=script_env(),
    )
    assert proc.returncode == 2, proc.stderr
    assert (
        len(proc.stderr.strip().splitlines()) == 1 and f"ollama server {url} does not answer" in proc.stderr
    )
    assert not (tmp_path / "results_demo" / "result_llama33textonly_ICL_open.jsonl").exists()


def config(tmp_path):
    return RunConfig(
        model="llama33textonly",
        inference_mode="ICL",
        task_format="open",
        output_dir=tmp_path,
        dataset_id=demo().dataset_id,
        progress=False,
    )


def test_server_errors_and_timeouts_are_retried_within_bounds(tmp_path):
    policy = RetryPolicy(max_retries=2, read_timeout_s=0.5, backoff_initial_s=0.01)
    settings = ApiSettings(retry=policy)
    generation = GenerationConfig(temperature=None, max_new_tokens=None)
    with OllamaServer() as server:
        server.inject(
            Fault(503, match="EEG"),
            Fault(429, match="EEG"),
            Fault(500, match="mammogram"),
            Fault(500, match="mammogram"),
            Fault(500, match="mammogram"),  # a third failure: past --max-retries 2
            Fault(None, delay=3.0, match="incision"),  # a timeout, then a good reply
            Fault(400, match="lab report"),  # not retried
        )
        backend = OllamaBackend("llama3.3", server.url, settings, generation)
        summary = run_model(config(tmp_path), demo(), backend)
    rows = {r["final_question"]: r for r in records(config(tmp_path).result_path)}
    eeg = rows["Does this EEG show generalised spike-and-wave discharges?"]
    assert eeg["status"] == "ok" and eeg["usage"]["retries"] == 2
    assert rows["On which side of the picture is the incision: left or right?"]["status"] == "ok"
    mammogram = rows["Is there a mass in this mammogram?"]
    assert mammogram["status"] == "error" and "500" in mammogram["error"]
    lab = rows["Is any value in this lab report flagged in red?"]
    assert lab["status"] == "error" and "400" in lab["error"]
    assert summary.errors == 2
    assert server.count == len(rows) + 2 + 2 + 1  # EEG x2, mammogram x2, incision x1 retries
