"""The LLM judge: PROTOCOL.md's prompt and verdict rule, the evaluation JSON, the sqlite cache (a
re-run sends nothing, a changed answer is judged again), both judge backends, --visualize-only."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback import Fault, OllamaServer, OpenAIServer, Reply
from loopback.harness import SCRIPTS, records, run_on_demo, run_script, script_env

from smmile.io import write_atomic
from smmile.judge.cache import JudgeCache
from smmile.judge.judging import JUDGE_PROMPT, judge_prompt, parse_verdict
from smmile.results.jsonl import dumps
from smmile.results.naming import JUDGE_CACHE as FILE_NAME
from smmile.types import ResultRecord

# PROTOCOL.md's judge prompt, spelled out here independently of smmile.judge.judging.
PROTOCOL_PROMPT = (
    'A medical AI model is provided with an image and asked the question "{question}". The correct '
    'answer to this question is: "{answer}". The AI model outputs "{response}" as its response. Is '
    "the AI model correct? Please output your answer as a single digit, where 1 indicates that the AI "
    "model is correct and 0 indicates that the AI model is incorrect with respect to the correct "
    "answer. Do not provide anything other than the digit in your response."
)
KEYS = [
    "model",
    "inference_mode",
    "total_examples",
    "original_count",
    "excluded_count",
    "llm_err_count",
    "correct_examples",
    "accuracy",
    "err_count",
    "problem_accuracies",
    "incorrect_examples",
    "word_count",
]
KEY = "sk-judge-SECRET-0b9d"


def write_jsonl(path, rows) -> None:
    write_atomic(path, "".join(dumps(r) + "\n" for r in rows))


def test_prompt_is_protocol_byte_for_byte():
    assert JUDGE_PROMPT == PROTOCOL_PROMPT
    rec = ResultRecord("p", final_question='Is it "red"? {x}', true_answer="Red.", generated_answer=None)
    assert judge_prompt(rec) == (
        'A medical AI model is provided with an image and asked the question "Is it "red"? {x}". The '
        'correct answer to this question is: "Red.". The AI model outputs "nan" as its response. Is the '
        "AI model correct? Please output your answer as a single digit, where 1 indicates that the AI "
        "model is correct and 0 indicates that the AI model is incorrect with respect to the correct "
        "answer. Do not provide anything other than the digit in your response."
    )


@pytest.mark.parametrize(
    "reply, correct, well_formed",
    [("1", True, True), ("0", False, True), ("1\n", False, False), (" 0", False, False), ("1.", False, False),
     ("Yes", False, False), ("", False, False), (None, False, False)],
)  # fmt: skip
def test_verdict_rule(reply, correct, well_formed):
    verdict = parse_verdict(reply)
    assert (verdict.correct, verdict.well_formed) == (correct, well_formed)


# --- a results folder and a judge server -----------------------------------------------------------

ANSWERS = {  # problem -> (question, true answer, generated answer, status)
    "p1": ("What colour?", "Red.", "Red.", "ok"),
    "p2": ("Which side?", "Left.", "Right.", "ok"),
    "p3": ("How many?", "4", "four", "ok"),  # the judge says something that is not a digit
    "p4": ("Is there a mass?", "No.", None, "error"),  # never sent
    "p5": ("Which lobe?", "Upper lobe.", "upper lobe", "ok"),
}


def write_result(folder: Path, model: str, answers=ANSWERS, mode="ICL", fmt="open") -> Path:
    rows = []
    for pid, (q, a, g, status) in answers.items():
        rec = ResultRecord(
            pid,
            final_question=q,
            true_answer=a,
            generated_answer=g,
            full_response=g,
            model=model,
            inference_mode=mode,
            task_format=fmt,
            status=status,
            error="HTTP 500" if status == "error" else None,
        )
        rows.append(rec.__dict__)
    path = folder / f"result_{model}_{mode}_{fmt}.jsonl"
    write_jsonl(path, rows)
    return path


def judge_reply(request) -> Reply:
    """1 when the quoted response equals the quoted answer (case-insensitive), `four` -> chatter."""
    text = request.json["messages"][-1]["content"]
    answer = text.split('The correct answer to this question is: "')[1].split('". ')[0]
    response = text.split('The AI model outputs "')[1].split('" as its response')[0]
    if response == "four":
        return Reply("The answer is correct: 1")
    return Reply("1" if response.lower().strip(".") == answer.lower().strip(".") else "0")


@pytest.fixture
def folder(tmp_path) -> Path:
    out = tmp_path / "results"
    out.mkdir()
    write_result(out, "modelA")
    write_result(out, "modelB", {k: (q, a, a, "ok") for k, (q, a, _, _) in ANSWERS.items()})
    write_result(out, "modelA", ANSWERS, fmt="mcqa")  # not judged: MCQA has its own scoring
    return out


def judge(folder: Path, *args: str, backend="ollama", url: str | None = None, env=None):
    flags = ["--judge-backend", backend, "--no-progress", "--concurrency", "4"]
    if url:
        flags += ["--judge-base-url", url]
    return run_script("evaluate_LLMJudge.py", str(folder), *flags, *args, env=env or script_env())


def load(folder: Path, model: str) -> dict:
    return json.loads((folder / f"result_{model}_ICL_open_evaluationllm.json").read_text())


def test_judge_writes_the_papers_json_and_a_rerun_sends_nothing(folder):
    with OllamaServer(reply=judge_reply) as server:
        proc = judge(folder, url=server.url)
        assert proc.returncode == 0, proc.stderr
        # modelA: 4 records sent (p4 is an error); modelB: 5, of which p1 is the same prompt as A's
        assert server.count == 4 + 5 - 1
        for req in server.requests:
            body = req.json
            assert body["model"] == "llama3.3" and "options" not in body
            (message,) = body["messages"]
            assert message["role"] == "user" and message["content"].startswith("A medical AI model")
        sent = [r.json["messages"][0]["content"] for r in server.requests]
        assert sum("Is there a mass?" in t for t in sent) == 1  # modelB's; modelA's is an error record
        assert not any('outputs "nan"' in t for t in sent)

        a = load(folder, "modelA")
        assert list(a)[: len(KEYS)] == KEYS
        assert a["model"] == "modelA" and a["inference_mode"] == "ICL" and a["metric"] == "LLM"
        assert a["total_examples"] == 5 and a["err_count"] == 1 and a["llm_err_count"] == 1
        assert a["correct_examples"] == 2 and a["accuracy"] == pytest.approx(40.0)
        assert a["problem_accuracies"] == {"p1": 100.0, "p2": 0.0, "p3": 0.0, "p4": 0.0, "p5": 100.0}
        assert a["incorrect_examples"] == ["p2", "p3", "p4"]
        b = load(folder, "modelB")
        assert b["accuracy"] == 100.0 and b["llm_err_count"] == 0 and b["err_count"] == 0
        assert not (folder / "result_modelA_ICL_mcqa_evaluationllm.json").exists()
        comparison = (folder / "model_comparison_llm.txt").read_text()
        assert "modelA" in comparison and "LLM" in comparison and "40.00" in comparison

        before = {p.name: p.read_bytes() for p in folder.glob("*_evaluationllm.json")}
        server.reset()
        proc = judge(folder, url=server.url)
        assert proc.returncode == 0, proc.stderr
        assert server.count == 0 and "0 sent" in proc.stdout
        assert {p.name: p.read_bytes() for p in folder.glob("*_evaluationllm.json")} == before

        # a changed answer is judged again, and only it
        rows = records(folder / "result_modelA_ICL_open.jsonl")
        rows[1]["generated_answer"] = "left"
        write_jsonl(folder / "result_modelA_ICL_open.jsonl", rows)
        server.reset()
        proc = judge(folder, url=server.url)
        assert proc.returncode == 0, proc.stderr
        assert server.count == 1 and 'outputs "left"' in server.requests[0].json["messages"][0]["content"]
        assert load(folder, "modelA")["problem_accuracies"]["p2"] == 100.0


def test_cache_rows_hold_the_raw_reply_and_verdict(folder):
    with OllamaServer(reply=judge_reply) as server:
        assert judge(folder, url=server.url).returncode == 0
    with sqlite3.connect(folder / FILE_NAME) as db:
        rows = db.execute("SELECT backend, model, reply, verdict FROM judgements").fetchall()
    assert len(rows) == 8
    assert {(b, m) for b, m, _, _ in rows} == {("ollama", "llama3.3")}
    assert ("ollama", "llama3.3", "The answer is correct: 1", None) in rows
    with JudgeCache(folder / FILE_NAME) as cache:
        assert len(cache) == 8


def test_another_judge_model_or_backend_is_not_served_from_the_cache(folder):
    with OllamaServer(reply=judge_reply, models=("llama3.3", "qwen2.5:72b")) as server:
        assert judge(folder, url=server.url).returncode == 0
        server.reset()
        assert judge(folder, "--judge-model", "qwen2.5:72b", url=server.url).returncode == 0
        assert server.count == 8 and {r.json["model"] for r in server.requests} == {"qwen2.5:72b"}
    with OpenAIServer(reply=judge_reply) as server:
        proc = judge(folder, backend="openai", url=server.url + "/v1", env=script_env(OPENAI_API_KEY=KEY))
        assert proc.returncode == 0, proc.stderr
        assert server.count == 8
        body = server.requests[0].json
        assert body["model"] == "llama3.3" and "temperature" not in body and "max_tokens" not in body
        assert body["messages"][0]["role"] == "user"
    assert load(folder, "modelA")["judge"] == {"backend": "openai", "model": "llama3.3", "failed_requests": 0}
    assert not any(KEY.encode() in p.read_bytes() for p in folder.iterdir() if p.is_file())


def test_judge_requests_run_concurrently(folder):
    with OllamaServer(reply=judge_reply, hold_until=4, hold_timeout=10) as server:
        assert judge(folder, url=server.url).returncode == 0
        assert server.max_in_flight == 4


def test_a_failed_judge_request_leaves_its_result_unscored_and_the_next_run_judges_only_it(folder):
    with OllamaServer(reply=judge_reply) as server:
        server.inject(*[Fault(500, body=b'{"error": "judge overloaded"}', match="Right.") for _ in range(3)])
        proc = judge(folder, "--max-retries", "2", url=server.url)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        a = load(folder, "modelA")
        # no score: not 0.0, not 75.0 over the judged ones
        assert a["complete"] is False and a["accuracy"] is None and a["correct_examples"] is None
        assert "problem_accuracies" not in a and a["unjudged_examples"] == ["p2"]
        assert a["unjudged_count"] == 1 and "judge overloaded" in a["first_error"]
        assert a["judged_accuracies"] == {"p1": 100.0, "p3": 0.0, "p4": 0.0, "p5": 100.0}
        assert a["llm_err_count"] == 1 and a["judge"]["failed_requests"] == 1
        assert load(folder, "modelB")["accuracy"] == 100.0  # the complete result is scored
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        named = [line for line in errors if "result_modelA_ICL_open.jsonl" in line]
        assert len(named) == 1 and "1 of 5 record(s) unjudged" in named[0] and "judge overloaded" in named[0]
        assert not any("modelB" in line for line in errors)
        comparison = (folder / "model_comparison_llm.txt").read_text()
        row = next(line for line in comparison.splitlines() if line.startswith("modelA"))
        assert "incomplete" in row and "1 unjudged" in row
        with sqlite3.connect(folder / FILE_NAME) as db:  # the failure is not cached
            (n,) = db.execute("SELECT COUNT(*) FROM judgements").fetchone()
        assert n == 7
        server.reset()
        proc = judge(folder, url=server.url)
        assert proc.returncode == 0, proc.stderr
        assert server.count == 1 and '"Right."' in server.requests[0].json["messages"][0]["content"]
        a = load(folder, "modelA")
        assert a["llm_err_count"] == 1 and a["accuracy"] == pytest.approx(40.0) and "complete" not in a


def test_an_unreachable_judge_writes_no_score_and_stops_in_one_line(folder):
    closed = "http://127.0.0.1:9"  # nothing listens there
    proc = judge(folder, url=closed)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "judge server http://127.0.0.1:9 does not answer" in proc.stderr
    assert (
        not list(folder.glob("*_evaluationllm.json")) and not (folder / "model_comparison_llm.txt").exists()
    )
    proc = run_script("variance_analysis.py", str(folder), "--generate_table", "--no-figures")
    assert proc.returncode == 0, proc.stderr
    table = (folder / "evaluation_results.json").read_text()
    assert '"LLM"' not in table


def test_a_judge_server_that_fails_every_request_scores_nothing(folder):
    with OllamaServer(reply=judge_reply) as server:
        server.inject(*[Fault(503, body=b'{"error": "model is loading"}') for _ in range(100)])
        proc = judge(folder, "--max-retries", "0", url=server.url)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    for model in ("modelA", "modelB"):
        evaluation = load(folder, model)
        assert evaluation["accuracy"] is None and evaluation["complete"] is False
    assert "2 of 2 result(s) incomplete" in proc.stderr
    proc = run_script("variance_analysis.py", str(folder), "--generate_table", "--no-figures")
    assert proc.returncode == 0, proc.stderr
    assert "judge incomplete" in proc.stderr
    assert "LLM" not in json.loads((folder / "evaluation_results.json").read_text())["modelA"]
    text = (folder / "evaluation_results.txt").read_text()
    assert "modelA LLM ICL: no score [a,e]: 4 record(s) unjudged" in text  # marked, with no number
    assert "modelA LLM ICL: no score" in text and "modelB LLM ICL: no score [a]: 5 record(s) unjudged" in text


def test_the_judge_model_missing_from_ollama_stops_before_sending(folder):
    with OllamaServer(reply=judge_reply, models=("qwen2.5:72b",)) as server:
        proc = judge(folder, url=server.url)
        assert server.count == 0 and len(server.probes) == 1
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "judge model llama3.3 is not on" in proc.stderr and "ollama pull llama3.3" in proc.stderr
    assert not list(folder.glob("*_evaluationllm.json"))


def test_the_openai_judge_checks_its_server_once_and_a_refused_key_stops_it(folder):
    with OpenAIServer(reply=judge_reply) as server:
        proc = judge(folder, backend="openai", url=server.url + "/v1", env=script_env(OPENAI_API_KEY=KEY))
        assert proc.returncode == 0, proc.stderr
        assert [p.path for p in server.probes] == ["/v1/models"] and server.count == 8
        server.reset()
        proc = judge(folder, backend="openai", url=server.url + "/v1", env=script_env(OPENAI_API_KEY=KEY))
        assert proc.returncode == 0 and server.probes == []  # all cached: nothing to check for
    (folder / FILE_NAME).unlink()
    with OpenAIServer(reply=judge_reply) as server:
        server.listing = lambda path: None  # the models route answers 404: the server is still up
        proc = judge(folder, backend="openai", url=server.url + "/v1", env=script_env(OPENAI_API_KEY=KEY))
        assert proc.returncode == 0, proc.stderr
    (folder / FILE_NAME).unlink()
    with OpenAIServer(reply=judge_reply) as server:
        server.inject(Fault(401, body=b'{"error": {"message": "bad key"}}'))
        server.listing = lambda path: None
        server.routes = lambda path: True  # the model list takes the fault
        proc = judge(folder, backend="openai", url=server.url + "/v1", env=script_env(OPENAI_API_KEY=KEY))
        assert proc.returncode == 2 and "refused the key (HTTP 401)" in proc.stderr
        assert server.count == 1  # the model list only
    assert KEY not in proc.stderr


def test_a_second_judge_on_the_same_folder_is_refused(folder):
    with OllamaServer(reply=judge_reply, hold_until=100, hold_timeout=120) as server:
        first = subprocess.Popen(
            [
                sys.executable,
                "evaluate_LLMJudge.py",
                str(folder),
                "--judge-base-url",
                server.url,
                "--no-progress",
            ],
            cwd=SCRIPTS,
            env=script_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while server.count == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.count > 0, "the first judge never sent"
            held, since = server.count, time.monotonic()  # wait until all its requests are in flight
            while time.monotonic() - since < 1.0 and time.monotonic() < deadline:
                time.sleep(0.05)
                if server.count != held:
                    held, since = server.count, time.monotonic()
            second = judge(folder, url=server.url)
            assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1
            assert "another judge is already running on this folder" in second.stderr
            assert f"pid {first.pid}" in second.stderr
            assert server.count == held and len(server.probes) == 1  # the second sent nothing
        finally:
            server.release()
            _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert judge(folder, url=server.url).returncode == 0  # the lock went with the first judge


def test_visualize_only_sends_nothing_and_reads_saved_jsons(folder, tmp_path):
    with OllamaServer(reply=judge_reply) as server:
        assert judge(folder, url=server.url).returncode == 0
    (folder / "model_comparison_llm.txt").unlink()
    (folder / "result_modelC_ICL_open_evaluationllm.json").write_text("{not json")
    closed = "http://127.0.0.1:9"  # nothing listens: any request would fail
    proc = judge(folder, "--visualize-only", url=closed)
    assert proc.returncode == 0, proc.stderr
    assert "modelA" in proc.stdout and "modelB" in proc.stdout
    assert "result_modelC_ICL_open_evaluationllm.json" in proc.stderr
    assert "modelA" in (folder / "model_comparison_llm.txt").read_text()
    proc = judge(folder, "--visualize-only", "--model", "modelB")
    assert "modelB" in proc.stdout and "modelA" not in proc.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = judge(empty, "--visualize-only")
    assert proc.returncode == 2 and "no saved judge evaluation" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_published_judge_jsons_are_read_as_llm_cells(tmp_path):
    published = {
        "model": "gpt-4o",
        "inference_mode": "ICL",
        "total_examples": 111,
        "original_count": 111,
        "excluded_count": 0,
        "llm_err_count": 0,
        "correct_examples": 55,
        "accuracy": 49.549549549549546,
        "err_count": 3,
        "problem_accuracies": {},
        "incorrect_examples": [],
        "word_count": 43.3,
    }
    (tmp_path / "result_gpt-4o_ICL_open_evaluationllm.json").write_text(json.dumps(published))
    proc = judge(tmp_path, "--visualize-only")
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("gpt-4o"))
    assert "LLM" in line and "49.55" in line


def test_no_open_results_is_one_line(tmp_path):
    write_result(tmp_path, "modelA", fmt="mcqa")
    proc = judge(tmp_path, url="http://127.0.0.1:9")
    assert proc.returncode == 2 and "no open-format result" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_corrupt_cache_is_named(folder):
    (folder / FILE_NAME).write_bytes(b"this is not a database, just text" * 100)
    proc = judge(folder, url="http://127.0.0.1:9")
    assert proc.returncode == 2 and FILE_NAME in proc.stderr and "Traceback" not in proc.stderr


def test_api_run_then_both_evaluators(tmp_path):
    """inference_openai.py on the demo, then evaluate_EM.py and the judge read its results."""
    with OpenAIServer(reply=lambda request: Reply("Round.")) as server:
        proc = run_on_demo(
            "inference_openai.py",
            tmp_path,
            "--base-url",
            server.url + "/v1",
            env=script_env(OPENAI_API_KEY=KEY),
        )
        assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results_demo"
    proc = run_script("evaluate_EM.py", str(folder))
    assert proc.returncode == 0, proc.stderr
    em = json.loads((folder / "result_gpt-4o_ICL_open_evaluation.json").read_text())
    assert em["total_examples"] == 12 and em["correct_examples"] == 1  # one demo answer is "Round."
    with OllamaServer(reply=judge_reply) as server:
        proc = judge(folder, url=server.url)
        assert proc.returncode == 0, proc.stderr
        assert server.count == 12
    llm = load(folder, "gpt-4o")
    assert llm["correct_examples"] == 1 and llm["llm_err_count"] == 0
    assert llm["problem_accuracies"] == em["problem_accuracies"]
    assert not any(KEY.encode() in p.read_bytes() for p in folder.iterdir() if p.is_file())
