"""Request details of two paper profiles, checked at the loopback servers: GPT-4o's `logprobs: true`
and the text-only MCQA follow-up F1 (PROTOCOL.md)."""

from __future__ import annotations

import json
from functools import partial

from loopback import Fault, OllamaServer, OpenAIServer
from loopback.harness import demo, records, run_on_demo, run_openai_on_demo, script_env

from smmile.prompts import get_profile
from smmile.prompts.templates import F1

KEY = "sk-loopback-logprobs"
UNREADABLE = "hard to say without seeing the image."  # no letter, no phrase, no option text


run_openai = partial(run_openai_on_demo, key=KEY)


def run_textonly(server, out, *args):
    return run_on_demo(
        "inference_llama33textonly.py", out, "--ollama-host", server.url, *args, env=script_env()
    )


def test_gpt4o_paper_requests_ask_for_logprobs_which_are_not_kept(tmp_path):
    with OpenAIServer() as server:
        proc = run_openai(server, tmp_path, "--task_format", "mcqa", "--limit", "3")
        assert proc.returncode == 0, proc.stderr
        assert server.count == 3 and all(r.json["logprobs"] is True for r in server.requests)
    folder = tmp_path / "results_demo"
    assert len(records(folder / "result_gpt-4o_ICL_mcqa.jsonl")) == 3
    written = "".join(p.read_text("utf-8") for p in folder.iterdir() if p.is_file())
    assert '"logprob"' not in written and "top_logprobs" not in written  # asked for, never stored
    manifest = json.loads((folder / "result_gpt-4o_ICL_mcqa.manifest.json").read_text("utf-8"))
    assert '"logprobs": true' in json.dumps(manifest)  # the manifest says what the requests asked


def test_other_models_and_the_unified_protocol_do_not_ask_for_logprobs(tmp_path):
    with OpenAIServer() as server:
        assert run_openai(server, tmp_path, "--protocol", "unified", "--limit", "2").returncode == 0
        assert (
            run_openai(server, tmp_path, "--model", "Qwen/Qwen2.5-VL-7B-Instruct", "--limit", "2").returncode
            == 0
        )
        assert server.count == 4 and not any("logprobs" in r.json for r in server.requests)


def _messages(request) -> list[dict]:
    return request.json["messages"]


def test_text_only_mcqa_sends_f1_when_nothing_can_be_read(tmp_path):
    def reply(request):
        return (
            "<think>So.</think>\n<answer>A</answer>"
            if _messages(request)[-1]["content"] == F1
            else UNREADABLE
        )

    with OllamaServer(reply=reply) as server:
        proc = run_textonly(server, tmp_path, "--task_format", "mcqa", "--inference_mode", "0-shot")
        assert proc.returncode == 0, proc.stderr
        n = len(demo().problems)
        assert server.count == 2 * n
        firsts = [r for r in server.requests if len(_messages(r)) == 1]
        follow_ups = [r for r in server.requests if len(_messages(r)) == 3]
        assert len(firsts) == len(follow_ups) == n
        prompts = {_messages(r)[0]["content"] for r in firsts}
        for r in follow_ups:
            first, answer, again = _messages(r)
            assert first["role"] == "user" and first["content"] in prompts
            assert answer == {"role": "assistant", "content": UNREADABLE}
            assert again == {"role": "user", "content": F1}
    rows = records(tmp_path / "results_demo" / "result_llama33textonly_0-shot_mcqa.jsonl")
    assert len(rows) == n and all(r["status"] == "ok" for r in rows)
    joined = UNREADABLE + "\n\nUser: " + F1 + "\n\nAssistant: <think>So.</think>\n<answer>A</answer>"
    assert {r["full_response"] for r in rows} == {joined}  # both replies recorded
    assert {r["selected_option"] for r in rows} == {"A"}
    assert all(r["generated_answer"] == r["options"]["A"] for r in rows)


def test_no_follow_up_for_a_readable_reply_open_format_or_the_unified_protocol(tmp_path):
    with OllamaServer(reply=lambda request: "<answer>B</answer>") as server:
        assert run_textonly(server, tmp_path, "--task_format", "mcqa", "--limit", "3").returncode == 0
        assert server.count == 3
    with OllamaServer(reply=lambda request: UNREADABLE) as server:
        assert run_textonly(server, tmp_path / "open", "--limit", "3").returncode == 0  # open format
        unified = ("--task_format", "mcqa", "--protocol", "unified", "--limit", "3")
        assert run_textonly(server, tmp_path / "unified", *unified).returncode == 0
        assert server.count == 6 and all(len(_messages(r)) == 1 for r in server.requests)
    assert get_profile("llama33textonly", "unified").mcqa_follow_up is None


def test_a_failed_follow_up_is_an_error_record_retried_by_the_next_run(tmp_path):
    with OllamaServer(reply=lambda request: UNREADABLE) as server:
        server.inject(Fault(500, match="Based on your analysis above"))
        args = ("--task_format", "mcqa", "--limit", "1", "--max-retries", "0")
        proc = run_textonly(server, tmp_path, *args)
        assert proc.returncode != 0
        (row,) = records(tmp_path / "results_demo" / "result_llama33textonly_ICL_mcqa.jsonl")
        assert row["status"] == "error" and row["error"].startswith("follow-up request:")
        assert row["full_response"] == UNREADABLE and row["selected_option"] is None
        server.reset()
        assert run_textonly(server, tmp_path, *args).returncode == 0  # retried: F1 answered this time
        assert server.count == 2
    rows = records(tmp_path / "results_demo" / "result_llama33textonly_ICL_mcqa.jsonl")
    assert rows[-1]["status"] == "ok" and rows[-1]["full_response"].startswith(UNREADABLE + "\n\nUser: ")
