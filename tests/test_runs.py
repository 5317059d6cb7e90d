"""Inference runs end to end on the demo: records, manifest, resume, shards, kill -9, bad flags."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_on_demo, run_script

from smmile.data import load_dataset_problems, resolve_source
from smmile.models.base import Backend, batched
from smmile.results.jsonl import read_jsonl
from smmile.runner import RunConfig, run_model, select_problems
from smmile.sharding import in_shard
from smmile.types import Response

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "inference_and_evaluation"
TIMING_FIELDS = {"latency_s", "finished_at", "usage"}


def baseline(out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_on_demo("inference_baselines.py", out, *extra, env=env)


def records(path: Path) -> list[dict]:
    return read_jsonl(path).rows


def comparable(rows: list[dict]) -> dict[str, dict]:
    return {r["problem_id"]: {k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows}


@pytest.fixture(scope="module")
def demo():
    return load_dataset_problems(resolve_source("demo"))


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Path:
    """An uninterrupted run of both baselines, open and MCQA, to compare others with."""
    out = tmp_path_factory.mktemp("clean")
    for fmt in ("open", "mcqa"):
        proc = baseline(out, "--task_format", fmt)
        assert proc.returncode == 0, proc.stderr
    return out / "results_demo"


def test_baseline_run_writes_records_and_manifest(clean_run, demo):
    path = clean_run / "result_majority_ICL_mcqa.jsonl"
    rows = records(path)
    assert sorted(r["problem_id"] for r in rows) == sorted(p.problem_id for p in demo.problems)
    by_id = {p.problem_id: p for p in demo.problems}
    for row in rows:
        problem = by_id[row["problem_id"]]
        assert row["status"] == "ok" and row["error"] is None
        assert row["model"] == "majority" and row["inference_mode"] == "ICL" and row["task_format"] == "mcqa"
        assert row["true_answer"] == problem.query.answer
        assert row["options"][row["correct_option"]] == problem.query.answer
        assert row["generated_answer"] == row["options"][row["selected_option"]]
        assert row["is_correct"] == (row["selected_option"] == row["correct_option"])
        assert row["examples_seen"] == [t.order for t in problem.examples]
        assert row["metadata"]["flag_num_ICL"] == len(problem.examples)
        assert row["metadata"]["speciality"] == problem.metadata["speciality"]
    manifest = json.loads((clean_run / "result_majority_ICL_mcqa.manifest.json").read_text())
    assert manifest["identity"]["model"] == "majority" and manifest["seed"] == 42
    assert manifest["dataset"]["id"] == demo.dataset_id
    assert manifest["counts"] == {"selected": len(demo.problems), "ok": len(demo.problems), "error": 0}
    assert manifest["elapsed_seconds"] >= 0 and manifest["finished_at"]
    assert manifest["environment"]["packages"]["numpy"]
    assert sorted(manifest["expected_problems"]) == sorted(p.problem_id for p in demo.problems)


def test_baselines_land_strictly_between_0_and_100(clean_run):
    for name in ("random", "majority"):
        open_rows = records(clean_run / f"result_{name}_ICL_open.jsonl")
        hits = sum(r["generated_answer"] == r["true_answer"] for r in open_rows)
        assert 0 < hits < len(open_rows), name
        mcqa_rows = records(clean_run / f"result_{name}_ICL_mcqa.jsonl")
        hits = sum(r["is_correct"] for r in mcqa_rows)
        assert 0 < hits < len(mcqa_rows), name


def test_rerun_is_a_no_op_and_keeps_records(clean_run, tmp_path):
    out = tmp_path / "results_demo"
    out.mkdir()
    for f in clean_run.glob("result_majority_ICL_open.*"):
        (out / f.name).write_bytes(f.read_bytes())
    before = (out / "result_majority_ICL_open.jsonl").read_bytes()
    proc = baseline(tmp_path, "--baseline", "majority")
    assert proc.returncode == 0, proc.stderr
    assert "0 run now" in proc.stdout
    assert (out / "result_majority_ICL_open.jsonl").read_bytes() == before
    manifest = json.loads((out / "result_majority_ICL_open.manifest.json").read_text())
    assert len(manifest["runs"]) == 2


def test_limit_then_full_run_resumes(clean_run, tmp_path):
    assert baseline(tmp_path, "--baseline", "random", "--limit", "5").returncode == 0
    path = tmp_path / "results_demo" / "result_random_ICL_open.jsonl"
    first = comparable(records(path))
    assert len(first) == 5
    proc = baseline(tmp_path, "--baseline", "random")
    assert proc.returncode == 0 and "5 already done" in proc.stdout
    rows = records(path)
    assert len(rows) == len({r["problem_id"] for r in rows})
    assert comparable(rows) == comparable(records(clean_run / "result_random_ICL_open.jsonl"))


def test_error_records_are_retried_and_replaced(clean_run, tmp_path):
    out = tmp_path / "results_demo"
    out.mkdir()
    rows = records(clean_run / "result_majority_ICL_open.jsonl")
    rows[2] = {**rows[2], "status": "error", "error": "HTTP 500", "generated_answer": None}
    (out / "result_majority_ICL_open.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = baseline(tmp_path, "--baseline", "majority")
    assert proc.returncode == 0, proc.stderr
    assert "1 run now" in proc.stdout
    again = records(out / "result_majority_ICL_open.jsonl")
    assert len(again) == len(rows) and all(r["status"] == "ok" for r in again)
    assert comparable(again) == comparable(records(clean_run / "result_majority_ICL_open.jsonl"))


def test_torn_last_line_is_dropped_on_resume(clean_run, tmp_path):
    out = tmp_path / "results_demo"
    out.mkdir()
    text = (clean_run / "result_majority_ICL_open.jsonl").read_text()
    lines = text.splitlines(keepends=True)
    (out / "result_majority_ICL_open.jsonl").write_text("".join(lines[:4]) + lines[4][:30])
    proc = baseline(tmp_path, "--baseline", "majority")
    assert proc.returncode == 0, proc.stderr
    assert "incomplete" in proc.stdout + proc.stderr
    again = records(out / "result_majority_ICL_open.jsonl")
    assert comparable(again) == comparable(records(clean_run / "result_majority_ICL_open.jsonl"))


@pytest.mark.slow
def test_kill_minus_nine_then_resume_loses_nothing(clean_run, tmp_path):
    """Kill the run (SIGKILL) twice part-way; re-running completes it with no loss or duplicate."""
    path = tmp_path / "results_demo" / "result_majority_ICL_mcqa.jsonl"
    cmd = [
        sys.executable,
        str(ROOT / "tests" / "helpers" / "slow_baseline.py"),
        "--dataset",
        "demo",
        "--output-dir",
        str(tmp_path / "results"),
        "--task_format",
        "mcqa",
        "--no-progress",
        "--delay",
        "0.25",
    ]
    for stop_after in (3, 7):
        proc = subprocess.Popen(cmd, cwd=SCRIPTS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if path.exists() and path.read_text().count("\n") >= stop_after:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        written = records(path)
        assert stop_after <= len(written) < 12
    proc = baseline(tmp_path, "--baseline", "majority", "--task_format", "mcqa")
    assert proc.returncode == 0, proc.stderr
    rows = records(path)
    assert len(rows) == len({r["problem_id"] for r in rows})
    assert comparable(rows) == comparable(records(clean_run / "result_majority_ICL_mcqa.jsonl"))


def test_shards_partition_the_problems_and_match_the_full_run(clean_run, tmp_path, demo):
    for k in range(3):
        proc = baseline(tmp_path, "--baseline", "random", "--shard", f"{k}/3")
        assert proc.returncode == 0, proc.stderr
    out = tmp_path / "results_demo"
    merged: dict[str, dict] = {}
    for k in range(3):
        rows = records(out / f"result_random_ICL_open.shard-{k}-of-3.jsonl")
        assert all(in_shard(r["problem_id"], (k, 3)) for r in rows)
        assert not set(merged) & {r["problem_id"] for r in rows}
        merged.update(comparable(rows))
    assert merged == comparable(records(clean_run / "result_random_ICL_open.jsonl"))


def test_slurm_array_variables_pick_the_shard(tmp_path):
    env = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"}
    proc = baseline(tmp_path, "--baseline", "majority", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = records(tmp_path / "results_demo" / "result_majority_ICL_open.shard-1-of-2.jsonl")
    assert rows and all(in_shard(r["problem_id"], (1, 2)) for r in rows)


def test_changed_seed_refuses_to_resume_and_no_resume_keeps_old_file(tmp_path):
    assert baseline(tmp_path, "--baseline", "random").returncode == 0
    path = tmp_path / "results_demo" / "result_random_ICL_open.jsonl"
    before = path.read_bytes()
    proc = baseline(tmp_path, "--baseline", "random", "--seed", "7")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "seed" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    proc = baseline(tmp_path, "--baseline", "random", "--seed", "7", "--no-resume")
    assert proc.returncode == 0, proc.stderr
    kept = list(path.parent.glob("result_random_ICL_open.jsonl.replaced-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == before


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--inference_mode", "0-shot"], "invalid choice"),
        (["--shard", "3/3"], "--shard"),
        (["--shard", "x"], "--shard"),
        (["--limit", "0"], "--limit"),
    ],
)
def test_bad_flags_give_one_line(tmp_path, args, needle):
    proc = baseline(tmp_path, *args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "results_demo").exists() or not list((tmp_path / "results_demo").glob("*.jsonl"))


def test_missing_local_dataset_gives_one_line(tmp_path):
    proc = run_script(
        "inference_baselines.py",
        "--dataset-path",
        str(tmp_path / "nowhere"),
        "--output-dir",
        str(tmp_path / "results"),
    )
    assert proc.returncode == 2
    assert str(tmp_path / "nowhere") in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


class FailingBackend(Backend):
    def stream(self, prompts):
        return batched(prompts, lambda batch: [Response.failure("HTTP 503 from the server") for _ in batch])


class ExplodingBackend(Backend):
    def stream(self, prompts):
        return batched(prompts, self.explode)

    def explode(self, batch):
        raise RuntimeError("CUDA out of memory")


@pytest.mark.parametrize("backend", [FailingBackend(), ExplodingBackend()])
def test_failures_are_error_records_never_answers(tmp_path, demo, backend):
    config = RunConfig(
        model="qwen7B",
        inference_mode="ICL",
        task_format="mcqa",
        output_dir=tmp_path,
        dataset_id=demo.dataset_id,
        progress=False,
    )
    summary = run_model(config, demo, backend)
    assert summary.errors == len(demo.problems) and summary.error_rate == 1.0
    for row in records(config.result_path):
        assert row["status"] == "error" and row["error"]
        assert (
            row["generated_answer"] is None and row["selected_option"] is None and row["is_correct"] is None
        )


def test_max_error_rate_exit_status(tmp_path, demo, monkeypatch):
    import utils
    from smmile.models.base import ModelSpec
    from smmile.runs import EXIT_TOO_MANY_ERRORS, run_models

    args = utils.common_parser("t").parse_args(
        [
            "--dataset",
            "demo",
            "--output-dir",
            str(tmp_path / "results"),
            "--no-progress",
            "--max-error-rate",
            "0.5",
        ]
    )
    status = run_models(args, [ModelSpec("qwen7B", lambda _: FailingBackend())])
    assert status == EXIT_TOO_MANY_ERRORS
    assert len(records(tmp_path / "results_demo" / "result_qwen7B_ICL_open.jsonl")) == len(demo.problems)


def test_select_problems_limit_before_shard(demo):
    ids = sorted(p.problem_id for p in demo.problems)[:6]
    union = [p.problem_id for k in range(2) for p in select_problems(demo.problems, 6, (k, 2))]
    assert sorted(union) == ids


def test_unknown_profile_is_one_line(tmp_path):
    proc = baseline(tmp_path, "--profile", "gpt-5")
    assert proc.returncode == 2 and "--profile 'gpt-5'" in proc.stderr and "Traceback" not in proc.stderr


def test_scripts_import_no_backend_and_no_sdk_before_a_run():
    """The catalogue names backends; the registry imports one only when it is built."""
    scripts = [p.stem for p in SCRIPTS.glob("inference_*.py")]
    heavy = ["torch", "transformers", "openai", "anthropic", "ollama", "smmile.models.transformers_backend"]
    code = (
        "import importlib, sys\n"
        f"for name in {scripts!r}: importlib.import_module(name)\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

    from smmile.models.registry import BACKENDS, backend_class

    assert all(issubclass(backend_class(name), Backend) for name in BACKENDS)
