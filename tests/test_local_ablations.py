"""The ablations with a tiny local model: what reaches the model, reproducibility, resume, shards."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from smmile.ablations import Ablation, apply_ablation
from smmile.data import load_dataset_problems, resolve_source
from smmile.models.base import GenerationConfig
from smmile.models.catalog import QWEN, LocalSettings
from smmile.models.transformers_backend import TransformersBackend
from smmile.prompts import build_prompt, get_profile
from smmile.results.jsonl import read_jsonl
from utils import run_script

pytestmark = pytest.mark.slow

# the flags of each ablation run, and the transform they must amount to (its tag names the file)
ABLATIONS = {
    "order-relevant-last": (["--icl-order", "relevant-last"], Ablation(icl_order="relevant-last")),
    "irrelevant-1-start": (
        ["--irrelevant", "1", "--irrelevant-position", "start"],
        Ablation(irrelevant=1, irrelevant_position="start"),
    ),
    "num-icl-1-first": (
        ["--num-icl", "1", "--num-icl-keep", "first"],
        Ablation(num_icl=1, num_icl_keep="first"),
    ),
    "order-shuffled": (["--icl-order", "shuffled"], Ablation(icl_order="shuffled")),
}


@pytest.fixture(scope="module")
def demo():
    return load_dataset_problems(resolve_source("demo")).problems


@pytest.fixture(scope="module")
def qwen_args(tiny_checkpoints) -> list[str]:
    return [
        "--models",
        "7B",
        "--model-path",
        str(tiny_checkpoints["qwen2_5_vl"]),
        "--task_format",
        "mcqa",
        "--max-new-tokens",
        "6",
    ]


def run_qwen(out: Path, *args: str) -> None:
    module = importlib.import_module("inference_qwen")
    argv = ["--dataset", "demo", "--output-dir", str(out / "results"), "--no-progress", *args]
    assert run_script(module.main, argv) == 0


def rows(path: Path) -> dict[str, dict]:
    return {r["problem_id"]: r for r in read_jsonl(path).rows}


@pytest.fixture(scope="module")
def runs(qwen_args, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local-ablations")
    run_qwen(out, *qwen_args)
    for flags, _ in ABLATIONS.values():
        run_qwen(out, *qwen_args, *flags)
    return out / "results_demo"


@pytest.mark.parametrize("tag", ABLATIONS)
def test_the_model_sees_the_ablated_examples(runs, demo, tag):
    _, ablation = ABLATIONS[tag]
    assert ablation.tag() == tag
    plain = rows(runs / "result_qwen7B_ICL_mcqa.jsonl")
    ablated = rows(runs / f"result_qwen7B_ICL_mcqa.{tag}.jsonl")
    assert set(ablated) == {p.problem_id for p in demo}
    for problem in demo:
        rec = ablated[problem.problem_id]
        assert rec["status"] == "ok", rec["error"]
        expected = apply_ablation(problem, ablation, demo, 42).problem
        assert rec["examples_seen"] == [
            t.order if t.problem_id == problem.problem_id else f"{t.problem_id}#{t.order}"
            for t in expected.examples
        ]
        assert (
            rec["usage"]["images"] == len(expected.examples) + 1
        )  # every shown example's image + the query's
        assert rec["options"] == plain[problem.problem_id]["options"]


def test_the_processor_input_follows_the_ablated_order(tiny_checkpoints, demo):
    """The rendered model input holds the example questions and answers in the ablation's order."""
    backend = TransformersBackend(
        QWEN["7B"],
        LocalSettings(model_path=str(tiny_checkpoints["qwen2_5_vl"]), dtype="float32"),
        GenerationConfig(max_new_tokens=4),
    )
    tokenizer = backend.processor.tokenizer
    problem = max(demo, key=lambda p: len({t.question for t in p.examples}))
    for ablation in (Ablation(icl_order="reversed"), Ablation(irrelevant=1, irrelevant_position="start")):
        shown = apply_ablation(problem, ablation, demo, 42).problem
        prompt = build_prompt(shown, "ICL", "open", get_profile("qwen7B"), options_problem=problem)
        inputs = backend.prepare([prompt])
        text = tokenizer.decode(inputs["input_ids"][0])
        positions = [text.index(f"{t.question}") for t in shown.examples]
        assert positions == sorted(positions)
        assert int(inputs["image_grid_thw"].shape[0]) == len(shown.examples) + 1
    backend.close()


def test_local_ablation_runs_are_reproducible_resumable_and_shardable(runs, qwen_args, tmp_path):
    flags, _ = ABLATIONS["order-shuffled"]
    name = "result_qwen7B_ICL_mcqa.order-shuffled"
    whole = rows(runs / f"{name}.jsonl")
    keep = ("examples_seen", "full_response", "selected_option", "options")

    def same(a: dict, b: dict) -> bool:
        return {k: a[k] for k in keep} == {k: b[k] for k in keep}

    run_qwen(tmp_path / "again", *qwen_args, *flags, "--limit", "5")
    run_qwen(tmp_path / "again", *qwen_args, *flags)
    again = rows(tmp_path / "again" / "results_demo" / f"{name}.jsonl")
    assert again.keys() == whole.keys() and all(same(again[p], whole[p]) for p in whole)
    for k in (0, 1):
        run_qwen(tmp_path / "shards", *qwen_args, *flags, "--shard", f"{k}/2")
    merged = {}
    for k in (0, 1):
        merged.update(rows(tmp_path / "shards" / "results_demo" / f"{name}.shard-{k}-of-2.jsonl"))
    assert merged.keys() == whole.keys() and all(same(merged[p], whole[p]) for p in whole)
