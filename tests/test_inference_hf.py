"""inference_hf.py: any image-text-to-text checkpoint, run on the tiny checkpoint of every family
(0-shot and ICL, open and MCQA, on the demo), and the checkpoints it refuses at load."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest
from test_local_scripts import run_local
from tiny_checkpoints import FAMILIES, MISTRAL_LLAVA_TEMPLATE

from smmile.data import load_dataset_problems, resolve_source
from smmile.prompts import EXTRACTION_FAILED, INVALID_PREFIX
from smmile.results.jsonl import read_jsonl
from utils import EXIT_USER_ERROR, run_script

pytestmark = pytest.mark.slow

MAX_NEW = 6
RUNS = [(mode, fmt) for mode in ("0-shot", "ICL") for fmt in ("open", "mcqa")]
RUNNABLE = [f for f in FAMILIES if f != "llavamed"]  # llavamed's conversion ships no chat template


def run_hf(out: Path, *args: str) -> int:
    return run_local("inference_hf", out, *args)


@pytest.fixture(scope="module")
def demo() -> dict:
    return {p.problem_id: p for p in load_dataset_problems(resolve_source("demo")).problems}


@pytest.fixture(scope="module")
def llavamed_with_template(tiny_checkpoints, tmp_path_factory) -> Path:
    """The LLaVA-Med conversion with a chat template added, as a user would add one."""
    folder = tmp_path_factory.mktemp("llavamed-chat") / "llavamed"
    shutil.copytree(tiny_checkpoints["llavamed"], folder)
    (folder / "chat_template.jinja").write_text(MISTRAL_LLAVA_TEMPLATE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hf_results(tiny_checkpoints, llavamed_with_template, tmp_path_factory):
    """results(family) -> the demo folder holding that family's four runs (run on first use)."""
    out = tmp_path_factory.mktemp("hf")
    folders = {**{f: tiny_checkpoints[f] for f in RUNNABLE}, "llavamed": llavamed_with_template}
    done: set[str] = set()

    def results(family: str) -> Path:
        if family not in done:
            for mode, fmt in RUNS:
                args = ["--model-path", str(folders[family]), "--name", f"tiny-{family}"]
                args += ["--inference_mode", mode, "--task_format", fmt, "--batch-size", "4"]
                assert run_hf(out, *args, "--max-new-tokens", str(MAX_NEW)) == 0, (family, mode, fmt)
            done.add(family)
        return out / "results_demo"

    return results


@pytest.mark.parametrize(("mode", "fmt"), RUNS, ids=[f"{m}-{f}" for m, f in RUNS])
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_runs_through_the_one_script(family, mode, fmt, hf_results, demo):
    rows = read_jsonl(hf_results(family) / f"result_tiny-{family}_{mode}_{fmt}.jsonl").rows
    assert sorted(r["problem_id"] for r in rows) == sorted(demo)
    for row in rows:
        problem = demo[row["problem_id"]]
        assert row["status"] == "ok" and row["error"] is None, row["error"]
        assert (row["model"], row["inference_mode"], row["task_format"]) == (f"tiny-{family}", mode, fmt)
        assert (row["protocol"], row["profile"]) == ("unified", f"tiny-{family}")
        shown = len(problem.examples) if mode == "ICL" else 0
        assert row["usage"]["images"] == shown + 1  # every image goes in, through the chat template
        assert 1 <= row["usage"]["output_tokens"] <= MAX_NEW
        assert row["usage"]["batch_size"] <= 4
        if fmt == "mcqa":
            selected = row["selected_option"]
            assert (
                selected in row["options"]
                or selected == EXTRACTION_FAILED
                or selected.startswith(INVALID_PREFIX)
            )


@pytest.mark.parametrize("family", FAMILIES)
def test_manifest_names_the_generic_family_and_the_checkpoints_class(family, hf_results):
    manifest = json.loads((hf_results(family) / f"result_tiny-{family}_ICL_open.manifest.json").read_text())
    backend = manifest["backend"]
    assert backend["family"] == "image_text_to_text" and backend["hub_id"] is None
    assert backend["model_class"].endswith("ForConditionalGeneration")
    assert backend["trust_remote_code"] is False and backend["batch_size"] == 4
    assert backend["dtype"] == "float32"  # auto on a machine without CUDA


def test_profile_borrows_a_paper_profile(tiny_checkpoints, tmp_path):
    folder = str(tiny_checkpoints["qwen2_5_vl"])
    args = ["--model-path", folder, "--name", "mine", "--profile", "qwen7B", "--limit", "2"]
    assert run_hf(tmp_path, *args, "--max-new-tokens", "2", "--inference_mode", "0-shot") == 0
    rows = read_jsonl(tmp_path / "results_demo" / "result_mine_0-shot_open.jsonl").rows
    assert {(r["protocol"], r["profile"]) for r in rows} == {("paper", "qwen7B")}


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_checkpoint_without_chat_template_is_refused_at_load(tiny_checkpoints, tmp_path, capsys):
    folder = tiny_checkpoints["llavamed"]
    assert run_hf(tmp_path, "--model-path", str(folder), "--name", "x") == EXIT_USER_ERROR
    line = one_line_error(capsys)
    assert line.startswith(f"error: {folder}: the processor has no chat template")
    assert not list(tmp_path.glob("results_demo/*.jsonl"))


def test_a_text_only_architecture_is_refused_before_its_weights_load(tmp_path, capsys):
    from transformers import LlamaConfig

    folder = tmp_path / "text-only"
    LlamaConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, vocab_size=32).save_pretrained(
        folder
    )
    assert run_hf(tmp_path, "--model-path", str(folder), "--name", "x") == EXIT_USER_ERROR
    line = one_line_error(capsys)
    assert line == (
        f"error: {folder}: transformers cannot load a 'llama' checkpoint as image-text-to-text "
        "(AutoModelForImageTextToText); SMMILE needs a model that takes images and text"
    )


@pytest.mark.parametrize(
    ("script", "select", "family", "loaded"),
    [
        ("inference_qwen", ["--models", "7B"], "llava", "qwen2_5_vl"),
        ("inference_llava", ["--model_name", "llava_7b"], "qwen2_5_vl", "llava"),
        ("inference_medgemma", [], "mllama", "gemma3"),
    ],
)
def test_a_checkpoint_of_another_family_is_named_at_load(
    script, select, family, loaded, tiny_checkpoints, tmp_path, capsys
):
    """It used to load with a long table of mismatched weights, then fail every record with
    AttributeError: 'NoneType' object has no attribute 'device'."""
    module = importlib.import_module(script)
    folder = tiny_checkpoints[family]
    argv = ["--dataset", "demo", "--output-dir", str(tmp_path / "r"), "--no-progress", *select]
    assert run_script(module.main, [*argv, "--model-path", str(folder)]) == EXIT_USER_ERROR
    line = one_line_error(capsys)
    assert line.startswith(f"error: {folder}: a '{family}' checkpoint, but this script runs '{loaded}'")
    assert not list(tmp_path.glob("r_demo/*.jsonl"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name the checkpoint: --model OWNER/NAME (hub) or --model-path DIR (local folder)"),
        (["--model-path", "."], "--model-path needs --name (the result id its files are named after)"),
        (["--model-path", ".", "--name", "x", "--revision", "v1"], "--revision needs --model"),
        (["--model", "a/b", "--name", "bad/name"], "--name 'bad/name': use letters"),
    ],
)
def test_bad_flags_are_one_line_errors(args, message, tmp_path, capsys):
    assert run_hf(tmp_path, *args) == EXIT_USER_ERROR
    assert one_line_error(capsys).startswith(f"error: {message}")


def test_the_result_id_derives_from_the_hub_id(monkeypatch, tmp_path):
    """--model OWNER/NAME without --name: results are named NAME; nothing is downloaded here
    (the backend factory is replaced)."""
    import inference_hf

    seen = {}

    def fake_run_models(args, specs):
        seen["ids"] = [s.model_id for s in specs]
        seen["protocol"] = args.protocol
        return 0

    monkeypatch.setattr(inference_hf, "run_models", fake_run_models)
    assert run_hf(tmp_path, "--model", "someone/My-VLM-7B", "--revision", "abc123") == 0
    assert seen == {"ids": ["My-VLM-7B"], "protocol": "unified"}
