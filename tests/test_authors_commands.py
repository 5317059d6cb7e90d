"""Every inference command line of the authors' README parses and reaches the right model, mode,
format and dataset (the run itself is replaced, so nothing is loaded or called)."""

from __future__ import annotations

import importlib
import shlex

import pytest
from helpers import run_script as run_subprocess

import utils

# (command line as the authors' README prints it, result ids, mode, format, dataset)
AUTHORS_README = [
    ("inference_qwen.py --inference_mode ICL --models all --task_format open",
     ["qwen3B", "qwen7B", "qwen32B", "qwen72B"], "ICL", "open", "smmile"),
    ("inference_qwen.py --inference_mode 0-shot --models 7B 32B --task_format mcqa",
     ["qwen7B", "qwen32B"], "0-shot", "mcqa", "smmile"),
    ("inference_qwen.py --inference_mode ICL --models 72B --dataset augmented",
     ["qwen72B"], "ICL", "open", "augmented"),
    ("inference_qwen.py --inference_mode ICL --models 3B --task_format mcqa --dataset augmented",
     ["qwen3B"], "ICL", "mcqa", "augmented"),
    ("inference_llama32v.py --inference_mode ICL --task_format open --gpu_devices 0,1",
     ["llama32_vision_90b"], "ICL", "open", "smmile"),
    ("inference_llama32v.py --inference_mode ICL --task_format mcqa --dataset augmented",
     ["llama32_vision_90b"], "ICL", "mcqa", "augmented"),
    ("inference_medr1.py --inference_mode ICL --task_format open --gpu_devices 0,1",
     ["MedVLM-R1"], "ICL", "open", "smmile"),
    ("inference_medr1.py --inference_mode ICL --task_format mcqa --dataset augmented",
     ["MedVLM-R1"], "ICL", "mcqa", "augmented"),
    ("inference_medgemma.py --inference_mode ICL --task_format open",
     ["medgemma_4b"], "ICL", "open", "smmile"),
    ("inference_medgemma.py --inference_mode ICL --task_format mcqa --dataset augmented",
     ["medgemma_4b"], "ICL", "mcqa", "augmented"),
    ("inference_llava.py --inference_mode ICL --model_name llava_7b",
     ["llava_7b"], "ICL", "open", "smmile"),
    ("inference_llava.py --inference_mode ICL --model_name llava_7b --dataset augmented",
     ["llava_7b"], "ICL", "open", "augmented"),
    ("inference_llava_mcqa.py --inference_mode ICL --model_name llava_7b --task_format mcqa --dataset augmented",
     ["llava_7b"], "ICL", "mcqa", "augmented"),
    ("inference_llavamed.py --inference_mode ICL --model_name llava_7b",
     ["llavamed"], "ICL", "open", "smmile"),
    ("inference_llavamed.py --inference_mode ICL --model_name llava_7b --dataset augmented",
     ["llavamed"], "ICL", "open", "augmented"),
    ("inference_llavamed_mcqa.py --inference_mode ICL --model_name llava_7b --task_format mcqa --dataset augmented",
     ["llavamed"], "ICL", "mcqa", "augmented"),
    ("inference_anthropic.py --inference_mode ICL --task_format open",
     ["claude-3-7-sonnet"], "ICL", "open", "smmile"),
    ("inference_anthropic.py --inference_mode ICL --task_format mcqa --dataset augmented",
     ["claude-3-7-sonnet"], "ICL", "mcqa", "augmented"),
    ("inference_openai.py --model gpt-4o --inference_mode ICL --task_format open",
     ["gpt-4o"], "ICL", "open", "smmile"),
    ("inference_openai.py --model gpt-4o --inference_mode ICL --task_format mcqa --dataset augmented",
     ["gpt-4o"], "ICL", "mcqa", "augmented"),
    ("inference_llama33textonly.py --inference_mode ICL",
     ["llama33textonly"], "ICL", "open", "smmile"),
    ("inference_llama33textonly_mcqa.py --inference_mode ICL --task_format mcqa --dataset augmented",
     ["llama33textonly"], "ICL", "mcqa", "augmented"),
    ("inference_baselines.py --baseline random --inference_mode ICL --task_format open",
     ["random"], "ICL", "open", "smmile"),
    ("inference_baselines.py --baseline majority --inference_mode ICL --task_format mcqa --dataset augmented",
     ["majority"], "ICL", "mcqa", "augmented"),
]  # fmt: skip
SCRIPT_MODULES = sorted({line.split()[0].removesuffix(".py") for line, *_ in AUTHORS_README})


@pytest.fixture
def dispatched(monkeypatch):
    """Run a command line's main() with the run replaced: returns what run_models was given."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.invalid")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "test")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    calls = []

    def fake_run_models(args, specs, **extra):
        calls.append((args, [spec.model_id for spec in specs]))
        return 0

    for name in [*SCRIPT_MODULES, "utils"]:  # the family scripts run their models through utils
        module = importlib.import_module(name)
        if hasattr(module, "run_models"):
            monkeypatch.setattr(module, "run_models", fake_run_models)

    def run(line: str):
        script, *argv = shlex.split(line)
        module = importlib.import_module(script.removesuffix(".py"))
        assert utils.run_script(module.main, argv) == 0, line
        assert len(calls) == 1
        return calls.pop()

    return run


@pytest.mark.parametrize(
    ("line", "ids", "mode", "fmt", "dataset"), AUTHORS_README, ids=[c[0] for c in AUTHORS_README]
)
def test_the_authors_readme_command_reaches_the_right_model_and_format(
    dispatched, line, ids, mode, fmt, dataset
):
    args, model_ids = dispatched(line)
    assert model_ids == ids
    assert (args.inference_mode, args.task_format, args.dataset) == (mode, fmt, dataset)
    if "--gpu_devices 0,1" in line:
        import os

        assert os.environ["CUDA_VISIBLE_DEVICES"] == "0,1"


@pytest.mark.parametrize(
    ("line", "ids"),
    [
        ("inference_qwen.py --model_name 7B", ["qwen7B"]),
        ("inference_qwen.py --model-name 3B 72B", ["qwen3B", "qwen72B"]),
        ("inference_llava.py --models llava_13b llavanext_7b", ["llava_13b", "llavanext_7b"]),
        ("inference_llavamed.py --models llavamed", ["llavamed"]),
        ("inference_medgemma.py --gpu-devices 1", ["medgemma_4b"]),
    ],
)
def test_model_name_and_models_are_both_accepted(dispatched, line, ids):
    assert dispatched(line)[1] == ids


def test_the_mcqa_entry_points_default_to_mcqa_and_take_open(dispatched):
    for script in (
        "inference_llava_mcqa.py",
        "inference_llavamed_mcqa.py",
        "inference_llama33textonly_mcqa.py",
    ):
        assert dispatched(script)[0].task_format == "mcqa"
        assert dispatched(f"{script} --task_format open")[0].task_format == "open"


def test_llavamed_says_what_the_authors_model_name_does(dispatched, capsys):
    dispatched("inference_llavamed.py --inference_mode ICL --model_name llava_7b")
    err = capsys.readouterr().err
    assert "runs LLaVA-Med (result id llavamed)" in err and "inference_llava.py" in err


@pytest.mark.slow
def test_an_authors_mcqa_script_runs_as_users_run_it(tiny_checkpoints, tmp_path):
    """`python inference_llava_mcqa.py ...` in a subprocess, on a tiny LLaVA checkpoint."""
    proc = run_subprocess(
        "inference_llava_mcqa.py",
        *shlex.split("--inference_mode ICL --model_name llava_7b --dataset demo --limit 2 --no-progress"),
        *(
            "--output-dir",
            tmp_path / "results",
            "--model-path",
            tiny_checkpoints["llava"],
            "--max-new-tokens",
            2,
        ),
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results_demo" / "result_llava_7b_ICL_mcqa.jsonl").exists()
