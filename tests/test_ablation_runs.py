"""Ablations through real baseline runs on the demo, and the ablation table of variance_analysis."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import run_on_demo, run_script

from smmile.analysis.stats import paired_bootstrap
from smmile.data import load_dataset_problems, resolve_source
from smmile.results.jsonl import read_jsonl


def baseline(out: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = run_on_demo(
        "inference_baselines.py",
        out,
        "--baseline",
        "random",
        "majority",
        "--task_format",
        "mcqa",
        *extra,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo():
    return {p.problem_id: p for p in load_dataset_problems(resolve_source("demo")).problems}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ablations")
    baseline(out)
    baseline(out, "--icl-order", "reversed")
    baseline(out, "--irrelevant", "1", "--irrelevant-position", "start")
    baseline(out, "--num-icl", "1", "--num-icl-keep", "first")
    return out / "results_demo"


def rows(path: Path) -> dict[str, dict]:
    return {r["problem_id"]: r for r in read_jsonl(path).rows}


def test_ablation_files_never_overwrite_the_plain_run(folder):
    names = {p.name for p in folder.glob("result_random_*.jsonl")}
    assert names == {
        "result_random_ICL_mcqa.jsonl",
        "result_random_ICL_mcqa.order-reversed.jsonl",
        "result_random_ICL_mcqa.irrelevant-1-start.jsonl",
        "result_random_ICL_mcqa.num-icl-1-first.jsonl",
    }


def test_records_store_the_ablation_and_the_examples_seen(folder, demo):
    plain = rows(folder / "result_majority_ICL_mcqa.jsonl")
    reversed_ = rows(folder / "result_majority_ICL_mcqa.order-reversed.jsonl")
    irrelevant = rows(folder / "result_majority_ICL_mcqa.irrelevant-1-start.jsonl")
    first = rows(folder / "result_majority_ICL_mcqa.num-icl-1-first.jsonl")
    for pid, problem in demo.items():
        orders = [t.order for t in problem.examples]
        assert plain[pid]["ablation"] is None and plain[pid]["examples_seen"] == orders
        assert reversed_[pid]["ablation"] == {"icl_order": "reversed"}
        assert reversed_[pid]["examples_seen"] == orders[::-1]
        assert first[pid]["examples_seen"] == orders[:1]
        seen = irrelevant[pid]["examples_seen"]
        assert seen[1:] == orders and isinstance(seen[0], str)
        other_id = seen[0].split("#")[0]
        assert other_id != pid and demo[other_id].metadata["speciality"] != problem.metadata["speciality"]
        # the MCQA options stay those of the original problem
        for ablated in (reversed_, irrelevant, first):
            assert ablated[pid]["options"] == plain[pid]["options"]
            assert ablated[pid]["correct_option"] == plain[pid]["correct_option"]


def test_ablation_runs_are_reproducible_resumable_and_shardable(folder, tmp_path):
    baseline(tmp_path, "--irrelevant", "1", "--irrelevant-position", "random", "--limit", "4")
    proc = baseline(tmp_path, "--irrelevant", "1", "--irrelevant-position", "random")
    assert "4 already done" in proc.stdout
    for k in range(2):
        baseline(tmp_path, "--irrelevant", "1", "--irrelevant-position", "random", "--shard", f"{k}/2")
    out = tmp_path / "results_demo"
    whole = rows(out / "result_random_ICL_mcqa.irrelevant-1-random.jsonl")
    shards = {
        **rows(out / "result_random_ICL_mcqa.irrelevant-1-random.shard-0-of-2.jsonl"),
        **rows(out / "result_random_ICL_mcqa.irrelevant-1-random.shard-1-of-2.jsonl"),
    }
    assert len(whole) == 12
    for pid, rec in whole.items():
        assert shards[pid]["examples_seen"] == rec["examples_seen"]
        assert shards[pid]["selected_option"] == rec["selected_option"]


def test_variance_analysis_writes_the_ablation_table(folder):
    proc = run_script("variance_analysis.py", str(folder), "--generate_table")
    assert proc.returncode == 0, proc.stderr
    table = json.loads((folder / "ablations.json").read_text())
    assert set(table) == {"random", "majority"}
    assert set(table["random"]) == {"order-reversed", "irrelevant-1-start", "num-icl-1-first"}
    plain = {pid: int(r["is_correct"]) for pid, r in rows(folder / "result_random_ICL_mcqa.jsonl").items()}
    abl = {
        pid: int(r["is_correct"])
        for pid, r in rows(folder / "result_random_ICL_mcqa.order-reversed.jsonl").items()
    }
    cell = table["random"]["order-reversed"]["MCQA"]
    assert cell["n"] == 12
    assert cell["base_accuracy"] == pytest.approx(100 * np.mean(list(plain.values())))
    assert cell["accuracy"] == pytest.approx(100 * np.mean(list(abl.values())))
    assert cell["diff"] == pytest.approx(cell["accuracy"] - cell["base_accuracy"])
    assert cell["ci_low"] <= cell["diff"] <= cell["ci_high"]
    # the plain table leaves the ablations out
    cells = json.loads((folder / "evaluation_results.json").read_text())
    assert cells["random"]["MCQA"]["ICL"]["accuracy"] == pytest.approx(cell["base_accuracy"])
    tex = (folder / "ablations.tex").read_text()
    assert "\\texttt{order-reversed}" in tex and tex.rstrip().endswith("\\end{tabular}")
    assert "order-reversed" in (folder / "ablations.txt").read_text()


def test_ablation_without_its_plain_run_is_reported_not_compared(folder, tmp_path):
    lone = tmp_path / "lone"
    lone.mkdir()
    src = folder / "result_random_ICL_mcqa.order-reversed.jsonl"
    (lone / src.name).write_bytes(src.read_bytes())
    proc = run_script("variance_analysis.py", str(lone))
    assert proc.returncode == 0, proc.stderr
    assert "no plain run result_random_ICL_mcqa" in proc.stderr
    assert (
        json.loads((lone / "ablations.json").read_text())["random"]["order-reversed"]["MCQA"]["diff"] is None
    )


def test_paired_bootstrap():
    base = np.array([1, 0, 1, 0, 1, 0, 0, 0] * 10)
    other = np.array([1, 1, 1, 0, 1, 1, 0, 0] * 10)
    d = paired_bootstrap(base, other, n_boot=2000, seed=1)
    assert d.diff == pytest.approx(25.0) and d.n == 80
    assert 0 < d.ci_low < 25 < d.ci_high
    assert paired_bootstrap(base, other, n_boot=2000, seed=1) == d
    same = paired_bootstrap(base, base)
    assert same.diff == same.ci_low == same.ci_high == 0.0
    with pytest.raises(ValueError):
        paired_bootstrap(base, other[:-1])
