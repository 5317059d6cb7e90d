"""Every local-model script end to end on the demo with a tiny checkpoint: 0-shot and ICL, open and
MCQA; the records, the manifest, evaluate_EM and variance_analysis; resume and shards; bad flags."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from helpers import run_script as run_subprocess

from smmile.data import load_dataset_problems, resolve_source
from smmile.models.catalog import (
    LLAMA32_VISION,
    LLAVA_MODELS,
    LLAVAMED,
    MEDGEMMA,
    MEDVLM_R1,
    QWEN,
    LocalModel,
)
from smmile.present.tables import display_name
from smmile.prompts import EXTRACTION_FAILED, INVALID_PREFIX
from smmile.results.jsonl import read_jsonl
from utils import EXIT_USER_ERROR, run_script

# the module's fixture runs 32 tiny-model runs: more time than one test's default on a loaded machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

MAX_NEW = 8
CASES: list[tuple[str, list[str], LocalModel]] = [
    ("inference_qwen", ["--models", "7B"], QWEN["7B"]),
    ("inference_llama32v", [], LLAMA32_VISION),
    ("inference_medr1", [], MEDVLM_R1),
    ("inference_medgemma", [], MEDGEMMA),
    ("inference_llava", ["--model_name", "llava_7b"], LLAVA_MODELS["llava_7b"]),
    ("inference_llava", ["--model_name", "llavanext_7b"], LLAVA_MODELS["llavanext_7b"]),
    ("inference_llava", ["--model_name", "llavaonevision_0.5b"], LLAVA_MODELS["llavaonevision_0.5b"]),
    ("inference_llavamed", [], LLAVAMED),
]
RUNS = [(mode, fmt) for mode in ("0-shot", "ICL") for fmt in ("open", "mcqa")]
IDS = [m.result_id for _, _, m in CASES]


def run_local(script: str, out: Path, *args: str) -> int:
    """A script's main() in this process, as `python SCRIPT ARGS` runs it (exit status returned)."""
    module = importlib.import_module(script)
    argv = ["--dataset", "demo", "--output-dir", str(out / "results"), "--no-progress", *args]
    return run_script(module.main, argv)


@pytest.fixture(scope="module")
def demo():
    return {p.problem_id: p for p in load_dataset_problems(resolve_source("demo")).problems}


@pytest.fixture(scope="module")
def local_results(tiny_checkpoints, tmp_path_factory) -> Path:
    """Every script x mode x format on the demo, each model loaded from its tiny checkpoint."""
    out = tmp_path_factory.mktemp("local")
    for script, select, model in CASES:
        folder = tiny_checkpoints[model.family.name]
        for mode, fmt in RUNS:
            args = [*select, "--model-path", str(folder), "--inference_mode", mode, "--task_format", fmt]
            status = run_local(script, out, *args, "--max-new-tokens", str(MAX_NEW))
            assert status == 0, (script, model.result_id, mode, fmt)
    return out / "results_demo"


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize(("mode", "fmt"), RUNS, ids=[f"{m}-{f}" for m, f in RUNS])
def test_script_writes_complete_well_formed_records(case, mode, fmt, local_results, demo):
    _, _, model = case
    path = local_results / f"result_{model.result_id}_{mode}_{fmt}.jsonl"
    rows = read_jsonl(path).rows
    assert sorted(r["problem_id"] for r in rows) == sorted(demo)
    for row in rows:
        problem = demo[row["problem_id"]]
        assert row["status"] == "ok" and row["error"] is None, row["error"]
        assert (row["model"], row["inference_mode"], row["task_format"]) == (model.result_id, mode, fmt)
        assert row["profile"] == model.result_id and row["protocol"] == "paper"
        assert row["true_answer"] == problem.query.answer
        assert isinstance(row["full_response"], str)
        usage = row["usage"]
        assert 1 <= usage["output_tokens"] <= MAX_NEW
        shown = len(problem.examples) if mode == "ICL" else 0
        assert row["examples_seen"] == [t.order for t in problem.examples][:shown]
        # every example's image and the query's; MedVLM-R1's profile shows the query's only
        assert usage["images"] == (1 if model is MEDVLM_R1 else shown + 1)
        assert usage["input_tokens"] > 0
        if fmt == "open":
            assert row["generated_answer"] == row["full_response"].strip()
            assert row["options"] is None
        else:
            options, selected = row["options"], row["selected_option"]
            assert options[row["correct_option"]] == problem.query.answer
            assert selected in options or selected == EXTRACTION_FAILED or selected.startswith(INVALID_PREFIX)
            assert row["is_correct"] == (selected == row["correct_option"])
            assert row["generated_answer"] == options.get(selected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_manifest_names_the_model_its_source_and_settings(case, local_results, tiny_checkpoints):
    _, _, model = case
    manifest = json.loads((local_results / f"result_{model.result_id}_ICL_mcqa.manifest.json").read_text())
    backend = manifest["backend"]
    assert backend["backend"] == "transformers" and backend["model"] == model.result_id
    assert backend["hub_id"] == model.hub_id
    assert backend["model_path"] == str(tiny_checkpoints[model.family.name])
    assert backend["family"] == model.family.name
    assert backend["dtype"] == "float32"  # --dtype auto on a machine without CUDA
    assert backend["attn_implementation"].startswith("sdpa")
    assert (backend["batch_size"], backend["max_new_tokens"], backend["decoding"]) == (1, MAX_NEW, "greedy")
    assert manifest["counts"] == {"selected": 12, "ok": 12, "error": 0}


def test_evaluate_em_and_variance_analysis_read_every_local_result(local_results):
    proc = run_subprocess("evaluate_EM.py", local_results)
    assert proc.returncode == 0, proc.stderr
    for _, _, model in CASES:
        for mode, fmt in RUNS:
            evaluation = json.loads(
                (local_results / f"result_{model.result_id}_{mode}_{fmt}_evaluation.json").read_text()
            )
            assert evaluation["model"] == model.result_id and evaluation["total_examples"] == 12
            assert 0.0 <= evaluation["accuracy"] <= 100.0 and evaluation["err_count"] == 0
    proc = run_subprocess("variance_analysis.py", local_results, "--generate_table")
    assert proc.returncode == 0, proc.stderr
    for _, _, model in CASES:
        assert display_name(model.result_id) in proc.stdout


def rows_by_id(path: Path) -> dict[str, dict]:
    keep = ("full_response", "generated_answer", "selected_option", "status", "options")
    return {r["problem_id"]: {k: r[k] for k in keep} for r in read_jsonl(path).rows}


def test_resume_and_shards_with_a_local_model(tiny_checkpoints, local_results, tmp_path, demo):
    """A partial run resumed, and two shards, give the records of the one uninterrupted run."""
    whole = rows_by_id(local_results / "result_qwen7B_ICL_mcqa.jsonl")
    base = ["--models", "7B", "--model-path", str(tiny_checkpoints["qwen2_5_vl"]), "--task_format", "mcqa"]
    base += ["--max-new-tokens", str(MAX_NEW)]

    assert run_local("inference_qwen", tmp_path, *base, "--limit", "5") == 0
    path = tmp_path / "results_demo" / "result_qwen7B_ICL_mcqa.jsonl"
    first = read_jsonl(path).rows
    assert len(first) == 5
    assert run_local("inference_qwen", tmp_path, *base) == 0
    rows = read_jsonl(path).rows
    assert rows[:5] == first  # kept, not re-run
    assert rows_by_id(path) == whole

    shards = tmp_path / "shards"
    for k in (0, 1):
        assert run_local("inference_qwen", shards, *base, "--shard", f"{k}/2") == 0
    parts = [
        rows_by_id(shards / "results_demo" / f"result_qwen7B_ICL_mcqa.shard-{k}-of-2.jsonl") for k in (0, 1)
    ]
    assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])
    assert {**parts[0], **parts[1]} == whole


def test_model_path_with_several_models_is_refused_in_one_line(tiny_checkpoints, tmp_path, capsys):
    folder = str(tiny_checkpoints["qwen2_5_vl"])
    assert (
        run_local("inference_qwen", tmp_path, "--models", "3B", "7B", "--model-path", folder)
        == EXIT_USER_ERROR
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --model-path loads one model, but 2 are selected (qwen3B, qwen7B); select one"]
    assert run_local("inference_qwen", tmp_path, "--models", "all", "--model-path", folder) == EXIT_USER_ERROR
    assert "4 are selected" in capsys.readouterr().err
    assert not (tmp_path / "results_demo").exists()


def test_missing_model_path_and_bad_gpu_list_are_one_line_errors(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert run_local("inference_medgemma", tmp_path, "--model-path", str(missing)) == EXIT_USER_ERROR
    assert capsys.readouterr().err.strip() == f"error: --model-path {missing}: no such folder"
    assert run_local("inference_medgemma", tmp_path, "--gpu-devices", "0;1") == EXIT_USER_ERROR
    assert "--gpu-devices '0;1'" in capsys.readouterr().err


def test_a_script_run_as_users_run_it(tiny_checkpoints, tmp_path):
    """`python inference_llavamed.py ...` in a subprocess: --gpu_devices spelling, batch size, exit 0."""
    proc = run_subprocess(
        "inference_llavamed.py",
        "--dataset",
        "demo",
        "--output-dir",
        tmp_path / "results",
        "--no-progress",
        "--model_path",
        tiny_checkpoints["llavamed"],
        "--gpu_devices",
        "0",
        "--batch_size",
        "4",
        "--max_new_tokens",
        "4",
        "--dtype",
        "float32",
    )
    assert proc.returncode == 0, proc.stderr
    assert "12 ok, 0 error(s) of 12 problems" in proc.stdout
    manifest = json.loads((tmp_path / "results_demo" / "result_llavamed_ICL_open.manifest.json").read_text())
    assert manifest["backend"]["batch_size"] == 4
