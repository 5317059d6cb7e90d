"""inference_openai.py against a loopback chat-completions server, through the real openai SDK:
OpenAI-compatible servers, Azure's deployment path, faults, concurrency, resume, secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback import Fault, OpenAIServer
from loopback.harness import (
    SCRIPTS,
    comparable,
    demo,
    demo_prompts,
    files_containing,
    records,
    run_on_demo,
    run_script,
    script_env,
)

from smmile.models.api.backend import ApiSettings
from smmile.models.api.retry import RetryPolicy
from smmile.models.openai_backend import OpenAIBackend, OpenAIService
from smmile.runner import RunConfig, run_model

KEY = "sk-loopback-SECRET-4f1c9e"
FAST_RETRY = {"retry-after-ms": "5"}  # the SDK waits what the server asks


def run_openai(server, out: Path, *args: str, env=None):
    return run_on_demo(
        "inference_openai.py",
        out,
        *args,
        env=env or script_env(OPENAI_API_KEY=KEY),
    )


def compatible(server, *args):
    return ["--base-url", server.url + "/v1", *args]


def sent_conversations(server) -> list[str]:
    return sorted(json.dumps(r.json["messages"], sort_keys=True) for r in server.requests)


def expected_conversations(model_id, mode, fmt, protocol="paper") -> list[str]:
    backend = OpenAIBackend("x", OpenAIService("openai", "k"))
    rendered = [backend.render(p) for p in demo_prompts(model_id, mode, fmt, protocol)]
    return sorted(json.dumps(m, sort_keys=True) for m in rendered)


@pytest.mark.parametrize("mode, fmt", [("ICL", "open"), ("0-shot", "mcqa")])
def test_script_runs_the_demo_and_sends_the_gpt4o_paper_conversation(tmp_path, mode, fmt):
    with OpenAIServer() as server:
        proc = run_openai(
            server, tmp_path, *compatible(server, "--inference_mode", mode, "--task_format", fmt)
        )
        assert proc.returncode == 0, proc.stderr
        n = len(demo().problems)
        rows = records(tmp_path / "results_demo" / f"result_gpt-4o_{mode}_{fmt}.jsonl")
        assert len(rows) == n and all(r["status"] == "ok" for r in rows)
        assert server.count == n
        for req in server.requests:
            assert req.path == "/v1/chat/completions"
            body = req.json
            assert body["model"] == "gpt-4o" and body["temperature"] == 0.0 and body["max_tokens"] == 512
            roles = [m["role"] for m in body["messages"]]
            assert roles[0] == "system" and roles[-1] == "user"
            if mode == "ICL":  # the paper profile's ICL answers are system turns
                assert set(roles[2::2]) == {"system"} and set(roles[1::2]) == {"user"}
        assert sent_conversations(server) == expected_conversations("gpt-4o", mode, fmt)
    if fmt == "mcqa":
        assert all(r["selected_option"] is not None for r in rows)
        assert all(r["options"][r["correct_option"]] == r["true_answer"] for r in rows)


def test_name_and_unified_protocol_change_the_profile(tmp_path):
    with OpenAIServer() as server:
        args = compatible(server, "--model", "Qwen/Qwen2.5-VL-7B-Instruct", "--protocol", "unified")
        proc = run_openai(server, tmp_path, *args, "--limit", "3")
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "results_demo" / "result_Qwen2.5-VL-7B-Instruct_ICL_open.jsonl").exists()
        assert {r.json["model"] for r in server.requests} == {"Qwen/Qwen2.5-VL-7B-Instruct"}
        assert all(m["role"] != "system" for r in server.requests for m in r.json["messages"])
        server.reset()
        proc = run_openai(server, tmp_path, *compatible(server, "--name", "qwen7B", "--limit", "2"))
        assert proc.returncode == 0, proc.stderr
        rows = records(tmp_path / "results_demo" / "result_qwen7B_ICL_open.jsonl")
        assert {r["profile"] for r in rows} == {"qwen7B"}


def test_azure_deployment_path_version_and_key_header(tmp_path):
    env = script_env(AZURE_OPENAI_API_KEY=KEY)
    with OpenAIServer() as server:
        env["AZURE_OPENAI_ENDPOINT"] = server.url
        proc = run_openai(server, tmp_path, "--limit", "3", env=env)
        assert proc.returncode == 0, proc.stderr
        assert server.count == 3
        for req in server.requests:
            assert req.path == "/openai/deployments/gpt-4o/chat/completions"
            assert req.query["api-version"] == ["2024-05-01-preview"]
            assert req.header("api-key") == KEY
    manifest = json.loads((tmp_path / "results_demo" / "result_gpt-4o_ICL_open.manifest.json").read_text())
    assert manifest["backend"]["service"] == "azure"
    assert manifest["backend"]["api_version"] == "2024-05-01-preview"
    assert not files_containing(KEY, tmp_path)


def test_missing_keys_give_one_line(tmp_path):
    proc = run_script("inference_openai.py", "--dataset", "demo", "--output-dir", str(tmp_path / "r"))
    assert proc.returncode == 2 and "OPENAI_API_KEY" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    env = script_env(AZURE_OPENAI_ENDPOINT="http://127.0.0.1:9")
    proc = run_script("inference_openai.py", "--dataset", "demo", env=env)
    assert proc.returncode == 2 and "AZURE_OPENAI_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


def backend_for(server, concurrency=8, **retry) -> OpenAIBackend:
    service = OpenAIService("compatible", KEY, base_url=server.url + "/v1")
    policy = RetryPolicy(**{"backoff_initial_s": 0.01, **retry})
    return OpenAIBackend("gpt-4o", service, ApiSettings(concurrency=concurrency, retry=policy))


def config(tmp_path: Path, model="gpt-4o", fmt="open") -> RunConfig:
    return RunConfig(
        model=model,
        inference_mode="ICL",
        task_format=fmt,
        output_dir=tmp_path,
        dataset_id=demo().dataset_id,
        progress=False,
    )


def test_faults_and_a_malformed_reply_are_retried_within_the_run(tmp_path):
    dataset = demo()
    n = len(dataset.problems)
    with OpenAIServer() as server:
        server.inject(  # each fault for another problem, once
            Fault(429, headers={"retry-after": "0.01"}, match="bright lesion"),
            Fault(500, headers=FAST_RETRY, match="incision"),
            Fault(503, headers=FAST_RETRY, match="EEG"),
            Fault(200, body=b"{this is not json", match="mammogram"),
            Fault(200, body=b'{"object": "not a completion"}', match="mammogram"),
        )
        summary = run_model(config(tmp_path), dataset, backend_for(server, concurrency=3))
        assert server.pending_faults() == 0
        assert server.count == n + 5  # every fault retried, the two malformed bodies too
        assert summary.ok == n and summary.errors == 0
    rows = {r["final_question"]: r for r in records(config(tmp_path).result_path)}
    assert sorted(r["problem_id"] for r in rows.values()) == sorted(p.problem_id for p in dataset.problems)
    assert all(r["status"] == "ok" for r in rows.values())
    assert rows["Is there a mass in this mammogram?"]["usage"]["retries"] == 2


def test_a_reply_the_model_gave_is_not_retried(tmp_path):
    empty = {
        "choices": [{"message": {"role": "assistant", "content": None}, "finish_reason": "content_filter"}]
    }
    with OpenAIServer() as server:
        server.inject(Fault(200, body=json.dumps(empty).encode(), match="mammogram"), Fault(400, match="EEG"))
        summary = run_model(config(tmp_path), demo(), backend_for(server))
        assert server.count == len(demo().problems)
    rows = {r["final_question"]: r for r in records(config(tmp_path).result_path)}
    assert "content_filter" in rows["Is there a mass in this mammogram?"]["error"]
    assert "400" in rows["Does this EEG show generalised spike-and-wave discharges?"]["error"]
    assert summary.errors == 2


def test_a_slow_reply_times_out_and_is_retried(tmp_path):
    dataset = demo()
    with OpenAIServer() as server:
        server.inject(Fault(None, delay=3.0))
        summary = run_model(config(tmp_path), dataset, backend_for(server, read_timeout_s=0.5, concurrency=4))
        assert summary.ok == len(dataset.problems)
        assert server.count == len(dataset.problems) + 1


def test_retries_exhausted_leave_an_error_record(tmp_path):
    dataset = demo()
    with OpenAIServer() as server:
        server.inject(*[Fault(503, headers=FAST_RETRY, match="nuclei") for _ in range(40)])
        summary = run_model(config(tmp_path), dataset, backend_for(server, max_retries=1))
    rows = records(config(tmp_path).result_path)
    failed = [r for r in rows if r["status"] == "error"]
    assert summary.errors == len(failed) >= 1
    assert all("503" in r["error"] for r in failed)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_requests_in_flight_reach_and_never_pass_the_concurrency(tmp_path, concurrency):
    with OpenAIServer(hold_until=concurrency, hold_timeout=10) as server:
        run_model(config(tmp_path), demo(), backend_for(server, concurrency=concurrency))
        assert server.max_in_flight == concurrency


def test_image_resizes_are_recorded_in_the_manifest(tmp_path):
    from smmile.models.api.images import ImageEncoder, ImageLimits

    with OpenAIServer() as server:
        backend = backend_for(server)
        backend.images = ImageEncoder(ImageLimits(max_side=20))
        summary = run_model(config(tmp_path), demo(), backend)
        assert summary.ok == len(demo().problems)
    manifest = json.loads(config(tmp_path).manifest_path.read_text())
    resized = manifest["backend"]["images"]["resized"]
    assert resized and all(max(v["to"]) == 20 and "20 px" in v["reason"] for v in resized.values())
    distinct = {im.sha256 for p in demo().problems for t in p.triplets for im in [t.image] if im}
    assert set(resized) <= distinct and backend.images.encoded == len(distinct)


def test_no_key_in_records_manifest_or_output_even_when_the_server_echoes_it(tmp_path):
    with OpenAIServer() as server:
        # the first request gets a 401 whose body quotes the Authorization header
        server.inject(Fault(401, body=json.dumps({"error": {"message": f"bad key Bearer {KEY}"}}).encode()))
        proc = run_openai(server, tmp_path, *compatible(server))
        assert all(r.header("authorization") == f"Bearer {KEY}" for r in server.requests)
    rows = records(tmp_path / "results_demo" / "result_gpt-4o_ICL_open.jsonl")
    (failed,) = [r for r in rows if r["status"] == "error"]
    assert "[redacted]" in failed["error"] and "401" in failed["error"]
    assert not files_containing(KEY, tmp_path)
    assert KEY not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_kill_minus_nine_then_resume_loses_nothing_and_duplicates_nothing(tmp_path):
    n = len(demo().problems)
    with OpenAIServer(latency=0.25) as server:
        clean = tmp_path / "clean"
        assert run_openai(server, clean, *compatible(server, "--concurrency", "2")).returncode == 0
        path = tmp_path / "results_demo" / "result_gpt-4o_ICL_open.jsonl"
        cmd = [
            sys.executable,
            "inference_openai.py",
            "--dataset",
            "demo",
            "--output-dir",
            str(tmp_path / "results"),
        ]
        cmd += ["--no-progress", *compatible(server, "--concurrency", "2")]
        proc = subprocess.Popen(
            cmd,
            cwd=SCRIPTS,
            env=script_env(OPENAI_API_KEY=KEY),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (path.exists() and path.read_text().count("\n") >= 4):
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        written = len(records(path))
        assert 4 <= written < n
        proc = run_openai(server, tmp_path, *compatible(server, "--concurrency", "2"))
        assert proc.returncode == 0, proc.stderr
        assert f"{written} already done" in proc.stdout
    rows = records(path)
    assert len(rows) == n == len({r["problem_id"] for r in rows})
    assert comparable(rows) == comparable(records(clean / "results_demo" / "result_gpt-4o_ICL_open.jsonl"))
