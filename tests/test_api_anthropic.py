"""inference_anthropic.py against a loopback Messages API server, through the real anthropic SDK."""

from __future__ import annotations

import json

import pytest
from loopback import AnthropicServer, Fault
from loopback.harness import (
    demo,
    demo_prompts,
    files_containing,
    records,
    run_on_demo,
    run_script,
    script_env,
)

from smmile.models.anthropic_backend import AnthropicBackend

KEY = "sk-ant-loopback-SECRET-77aa01"
S2 = "You are a highly skilled physician and an excellent writer."


def run_claude(server, out, *args, env=None):
    return run_on_demo(
        "inference_anthropic.py",
        out,
        "--base-url",
        server.url,
        *args,
        env=env or script_env(ANTHROPIC_API_KEY=KEY),
    )


def expected_bodies(mode, fmt) -> list[str]:
    backend = AnthropicBackend("claude-3-7-sonnet-20250219", "k")
    out = []
    for prompt in demo_prompts("claude-3-7-sonnet", mode, fmt):
        kwargs = backend.request_kwargs(prompt)
        out.append(json.dumps([kwargs["system"], kwargs["messages"]], sort_keys=True))
    return sorted(out)


@pytest.mark.parametrize("mode, fmt", [("ICL", "open"), ("0-shot", "mcqa"), ("ICL", "mcqa")])
def test_script_runs_the_demo_with_claudes_paper_profile(tmp_path, mode, fmt):
    with AnthropicServer() as server:
        proc = run_claude(server, tmp_path, "--inference_mode", mode, "--task_format", fmt)
        assert proc.returncode == 0, proc.stderr
        n = len(demo().problems)
        assert server.count == n
        sent = []
        for req in server.requests:
            body = req.json
            assert req.path == "/v1/messages"
            assert body["model"] == "claude-3-7-sonnet-20250219"
            assert body["max_tokens"] == 512 and body["temperature"] == 0.0 and body["system"] == S2
            roles = [m["role"] for m in body["messages"]]
            assert roles == ["user", "assistant"] * ((len(roles) - 1) // 2) + ["user"]
            for message in body["messages"]:
                if message["role"] == "user":  # text first, then exactly one PNG image block
                    kinds = [b["type"] for b in message["content"]]
                    assert kinds == ["text", "image"]
                    assert message["content"][1]["source"]["media_type"] == "image/png"
                else:
                    assert isinstance(message["content"], str)
            if mode == "0-shot":
                assert len(roles) == 1
            sent.append(json.dumps([body["system"], body["messages"]], sort_keys=True))
        assert sorted(sent) == expected_bodies(mode, fmt)
    rows = records(tmp_path / "results_demo" / f"result_claude-3-7-sonnet_{mode}_{fmt}.jsonl")
    assert len(rows) == n and all(r["status"] == "ok" and r["profile"] == "claude-3-7-sonnet" for r in rows)
    assert not files_containing(KEY, tmp_path) and KEY not in proc.stdout + proc.stderr


def test_overloaded_and_rate_limited_replies_are_retried(tmp_path):
    with AnthropicServer() as server:
        server.inject(
            Fault(
                529,
                body=b'{"type":"error","error":{"type":"overloaded_error"}}',
                headers={"retry-after-ms": "5"},
            ),
            Fault(429, headers={"retry-after": "0.01"}),
            Fault(500, headers={"retry-after-ms": "5"}),
        )
        proc = run_claude(server, tmp_path, "--concurrency", "3")
        assert proc.returncode == 0, proc.stderr
        assert server.count == len(demo().problems) + 3
    rows = records(tmp_path / "results_demo" / "result_claude-3-7-sonnet_ICL_open.jsonl")
    assert all(r["status"] == "ok" for r in rows)
    assert {r["usage"]["input_tokens"] for r in rows} == {10}


def test_a_profile_with_system_turns_is_refused_before_any_request(tmp_path):
    with AnthropicServer() as server:
        proc = run_claude(server, tmp_path, "--name", "gpt-4o")
        assert proc.returncode == 2 and server.count == 0
    assert "system turns" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_key_gives_one_line(tmp_path):
    proc = run_script("inference_anthropic.py", "--dataset", "demo", "--output-dir", str(tmp_path / "r"))
    assert proc.returncode == 2 and "ANTHROPIC_API_KEY" in proc.stderr and "Traceback" not in proc.stderr


def test_another_claude_can_borrow_the_paper_profile(tmp_path):
    with AnthropicServer() as server:
        plain = run_claude(server, tmp_path / "a", "--model", "claude-sonnet-4-5", "--limit", "2")
        borrowed = run_claude(
            server,
            tmp_path / "b",
            "--model",
            "claude-sonnet-4-5",
            "--profile",
            "claude-3-7-sonnet",
            "--limit",
            "2",
        )
        assert plain.returncode == 0 and borrowed.returncode == 0, plain.stderr + borrowed.stderr
        bodies = [r.json for r in server.requests]
    assert all("system" not in b for b in bodies[:2])
    assert all(b["system"] == S2 and b["model"] == "claude-sonnet-4-5" for b in bodies[2:])
    rows = records(tmp_path / "b" / "results_demo" / "result_claude-sonnet-4-5_ICL_open.jsonl")
    assert {r["profile"] for r in rows} == {"claude-3-7-sonnet"}
