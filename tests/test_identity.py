"""Run identity: a resume that would mix records of another model, dataset content, seed or settings
is refused in one line naming what changed, with or without the manifest; --name keeps checkpoints
of one family apart; records of earlier versions stay readable."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest
from helpers import run_on_demo, run_script

import utils
from smmile.data import DEMO_DIR
from smmile.errors import UserError
from smmile.models.base import ModelSpec
from smmile.models.baselines import BaselineBackend
from smmile.results.jsonl import read_jsonl
from smmile.runs import run_models
from utils import EXIT_USER_ERROR
from utils import run_script as run_main


def baseline(out: Path, *extra: str) -> object:
    return run_on_demo("inference_baselines.py", out, *extra)


def one_line_refusal(proc, *needles: str) -> str:
    assert proc.returncode == EXIT_USER_ERROR, proc.stdout + proc.stderr
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


# --- the seed, with the manifest gone or corrupt ------------------------------------------------------


@pytest.mark.parametrize("manifest", ["deleted", "corrupt", "kept"])
def test_a_resume_under_another_seed_is_refused_without_the_manifest(tmp_path, manifest):
    assert baseline(tmp_path, "--baseline", "random", "--seed", "1", "--limit", "6").returncode == 0
    folder = tmp_path / "results_demo"
    path, manifest_path = (
        folder / "result_random_ICL_open.jsonl",
        folder / "result_random_ICL_open.manifest.json",
    )
    if manifest == "deleted":
        manifest_path.unlink()
    elif manifest == "corrupt":
        manifest_path.write_text('{"identity": ')
    before = path.read_bytes()
    proc = baseline(tmp_path, "--baseline", "random", "--seed", "2")
    one_line_refusal(proc, str(path), "seed: 1 -> 2", "--no-resume")
    assert path.read_bytes() == before


def test_records_carry_a_compact_identity_and_the_manifest_the_whole(tmp_path):
    assert baseline(tmp_path, "--baseline", "majority", "--task_format", "mcqa").returncode == 0
    folder = tmp_path / "results_demo"
    rows = read_jsonl(folder / "result_majority_ICL_mcqa.jsonl").rows
    stamps = [r["identity"] for r in rows]
    assert all(set(s) == {"run", "model", "generation", "problem"} for s in stamps)
    assert len({s["run"] for s in stamps}) == 1 and len({s["problem"] for s in stamps}) == len(rows)
    identity = json.loads((folder / "result_majority_ICL_mcqa.manifest.json").read_text())["identity"]
    assert identity["version"] == 1 and identity["model"] == "majority" and identity["seed"] == 42
    assert identity["model_source"] == "baseline majority" and identity["profile"] == "majority"
    assert identity["dataset_id"] == "smmile-demo" and identity["dataset_revision"]
    assert len(identity["dataset_content"]) == 16


# --- the dataset's content --------------------------------------------------------------------------


def local_copy(where: Path) -> Path:
    shutil.copytree(DEMO_DIR, where)
    return where


def edit_answers(dataset: Path, problem_ids: list[str]) -> None:
    """Change the query answer (the last row) of each problem in data.jsonl."""
    rows = [json.loads(line) for line in (dataset / "data.jsonl").read_text().splitlines()]
    for pid in problem_ids:
        last = max((r for r in rows if r["problem_id"] == pid), key=lambda r: r["order"])
        last["answer"] = "Edited " + last["answer"]
    (dataset / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def local_baseline(dataset: Path, out: Path, *extra: str):
    return run_script(
        "inference_baselines.py",
        "--dataset-path",
        dataset,
        "--output-dir",
        out,
        "--baseline",
        "majority",
        "--no-progress",
        *extra,
    )


@pytest.mark.parametrize("manifest", ["kept", "deleted"])
def test_answers_edited_in_a_local_copy_between_runs_are_refused(tmp_path, manifest):
    dataset = local_copy(tmp_path / "copy")
    out = tmp_path / "results"
    assert local_baseline(dataset, out, "--limit", "6").returncode == 0
    path = out / "result_majority_ICL_open.jsonl"
    answered = sorted(r["problem_id"] for r in read_jsonl(path).rows)
    edit_answers(dataset, answered[1:3])
    if manifest == "deleted":
        (out / "result_majority_ICL_open.manifest.json").unlink()
    before = path.read_bytes()
    proc = local_baseline(dataset, out)
    err = one_line_refusal(proc, "dataset content: 2 answered problem(s) changed")
    assert answered[1] in err and answered[2] in err and answered[0] not in err
    assert path.read_bytes() == before


def test_an_edit_of_a_problem_not_yet_answered_resumes(tmp_path):
    """Only what would mix is refused: a new revision that leaves the answered problems alone is fine."""
    dataset = local_copy(tmp_path / "copy")
    out = tmp_path / "results"
    assert local_baseline(dataset, out, "--limit", "4").returncode == 0
    path = out / "result_majority_ICL_open.jsonl"
    answered = {r["problem_id"] for r in read_jsonl(path).rows}
    rows = [json.loads(line) for line in (dataset / "data.jsonl").read_text().splitlines()]
    later = sorted({r["problem_id"] for r in rows} - answered)[0]
    edit_answers(dataset, [later])
    proc = local_baseline(dataset, out)
    assert proc.returncode == 0, proc.stderr
    assert "4 already done" in proc.stdout
    records = {r["problem_id"]: r for r in read_jsonl(path).rows}
    assert records[later]["true_answer"].startswith("Edited ")
    manifest = json.loads((out / "result_majority_ICL_open.manifest.json").read_text())
    revisions = [run["dataset_revision"] for run in manifest["runs"]]
    assert len(revisions) == 2 and revisions[0] != revisions[1]


# --- records of earlier versions --------------------------------------------------------------------


def test_records_without_identity_are_scored_but_not_resumed(tmp_path):
    assert baseline(tmp_path, "--baseline", "majority", "--limit", "5").returncode == 0
    folder = tmp_path / "results_demo"
    path = folder / "result_majority_ICL_open.jsonl"
    rows = read_jsonl(path).rows
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "identity"}) + "\n" for r in rows))
    (folder / "result_majority_ICL_open.manifest.json").unlink()
    proc = run_script("evaluate_EM.py", folder)
    assert proc.returncode == 0, proc.stderr
    score = json.loads((folder / "result_majority_ICL_open_evaluation.json").read_text())
    assert score["total_examples"] == 5
    before = path.read_bytes()
    one_line_refusal(baseline(tmp_path, "--baseline", "majority"), "earlier version", "--no-resume")
    assert path.read_bytes() == before
    assert baseline(tmp_path, "--baseline", "majority", "--no-resume").returncode == 0
    assert list(folder.glob("result_majority_ICL_open.jsonl.replaced-*"))


# --- local checkpoints: another checkpoint, a copied one, another generation setting, --name ---------


def error_line(capsys) -> str:
    """The error line of a local run (transformers may print loading progress before it)."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, lines
    return lines[0]


def run_qwen(out: Path, folder: Path, *args: str) -> int:
    module = importlib.import_module("inference_qwen")
    argv = ["--dataset", "demo", "--output-dir", str(out / "results"), "--no-progress", "--models", "7B"]
    argv += ["--model-path", str(folder), "--task_format", "mcqa", "--max-new-tokens", "4", *args]
    return run_main(module.main, argv)


def perturbed_copy(source: Path, target: Path) -> Path:
    """A checkpoint of the same architecture with other weights (as a fine-tune would be)."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, target)
    weights = target / "model.safetensors"
    tensors = load_file(weights)
    name = next(k for k, v in tensors.items() if v.is_floating_point())
    tensors[name] = tensors[name] + 0.5
    save_file(tensors, weights, metadata={"format": "pt"})
    return target


@pytest.mark.slow
def test_another_checkpoint_is_refused_and_name_keeps_them_apart(tiny_checkpoints, tmp_path, capsys):
    a = tmp_path / "A"
    shutil.copytree(tiny_checkpoints["qwen2_5_vl"], a)
    b = perturbed_copy(a, tmp_path / "B")
    same_as_a = shutil.copytree(a, tmp_path / "copy-of-A")
    out = tmp_path / "out"
    assert run_qwen(out, a, "--limit", "3") == 0
    path = out / "results_demo" / "result_qwen7B_ICL_mcqa.jsonl"
    before = path.read_bytes()
    capsys.readouterr()

    assert run_qwen(out, b) == EXIT_USER_ERROR
    err = error_line(capsys)
    assert "model_revision" in err and f"model_path: {a} -> {b}" in err and "model loaded" not in err
    assert path.read_bytes() == before

    (out / "results_demo" / "result_qwen7B_ICL_mcqa.manifest.json").unlink()
    assert run_qwen(out, b) == EXIT_USER_ERROR
    err = error_line(capsys)
    assert "model loaded" in err and "local folder" in err
    assert path.read_bytes() == before

    assert run_qwen(out, same_as_a, "--max-new-tokens", "6") == EXIT_USER_ERROR
    err = error_line(capsys)  # the manifest is gone: the records' stamps name what changed
    assert "generation" in err and "max_new_tokens=6" in err and "model loaded" not in err

    assert run_qwen(out, same_as_a) == 0  # the same files elsewhere: the same model
    assert "(9 run now, 3 already done)" in capsys.readouterr().out

    assert run_qwen(out, b, "--name", "qwen7B-B", "--limit", "3") == 0
    rows_b = read_jsonl(out / "results_demo" / "result_qwen7B-B_ICL_mcqa.jsonl").rows
    assert len(rows_b) == 3 and {r["model"] for r in rows_b} == {"qwen7B-B"}
    assert {r["profile"] for r in rows_b} == {"qwen7B"}  # a --name keeps the family's paper profile
    assert len(read_jsonl(path).rows) == 12


def test_name_needs_one_model_and_a_file_name(tmp_path, capsys):
    folder = str(tmp_path)
    module = importlib.import_module("inference_qwen")
    argv = ["--dataset", "demo", "--output-dir", str(tmp_path / "r"), "--models", "3B", "7B", "--name", "x"]
    assert run_main(module.main, argv) == EXIT_USER_ERROR
    assert "--name names one result, but 2 are selected" in capsys.readouterr().err
    argv = ["--dataset", "demo", "--output-dir", folder, "--models", "7B", "--name", "a/b"]
    assert run_main(module.main, argv) == EXIT_USER_ERROR
    assert "--name 'a/b'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "script",
    ["inference_llama32v", "inference_medr1", "inference_medgemma", "inference_llava", "inference_llavamed"],
)
def test_every_local_script_takes_name(script, capsys):
    module = importlib.import_module(script)
    with pytest.raises(SystemExit):
        module.main(["--help"])
    assert "--name NAME" in capsys.readouterr().out


def test_baselines_take_name(tmp_path):
    assert baseline(tmp_path, "--baseline", "random", "--name", "random-b", "--limit", "2").returncode == 0
    rows = read_jsonl(tmp_path / "results_demo" / "result_random-b_ICL_open.jsonl").rows
    assert len(rows) == 2 and {r["profile"] for r in rows} == {"random"}


def test_a_script_that_declares_its_own_name_keeps_it():
    parser = utils.common_parser("t")
    parser.add_argument("--name", default="declared")
    utils.add_local_model_args(parser)
    assert parser.parse_args([]).name == "declared"
    assert parser.parse_args(["--name", "other"]).name == "other"


def test_what_is_known_before_loading_is_refused_before_the_model_is_loaded(tmp_path):
    """A changed seed or dataset needs no model to be noticed: minutes of loading are not spent."""

    def args(*extra: str):
        flags = ["--dataset", "demo", "--output-dir", str(tmp_path / "results"), "--no-progress", *extra]
        return utils.common_parser("t").parse_args(flags)

    assert run_models(args("--limit", "3"), [ModelSpec("qwen7B", lambda _: BaselineBackend("majority"))]) == 0

    def never_loaded(generation):
        raise AssertionError("the model was loaded before the resume was refused")

    with pytest.raises(UserError, match="seed: 42 -> 3"):
        run_models(args("--seed", "3"), [ModelSpec("qwen7B", never_loaded)])
    # what only the loaded model can tell (here: another baseline behind the same id) is checked after loading
    with pytest.raises(UserError, match="model_source: 'baseline majority' -> 'baseline random'"):
        run_models(args(), [ModelSpec("qwen7B", lambda _: BaselineBackend("random"))])


def test_shards_of_different_identities_are_not_scored_as_one_result(tmp_path):
    for k, seed in ((0, "1"), (1, "2")):
        proc = baseline(tmp_path, "--baseline", "random", "--shard", f"{k}/2", "--seed", seed)
        assert proc.returncode == 0, proc.stderr
    assert baseline(tmp_path, "--baseline", "majority").returncode == 0
    folder = tmp_path / "results_demo"
    proc = run_script("evaluate_EM.py", folder)
    assert "result_random_ICL_open.jsonl (2 files): records of 2 different run identities" in proc.stderr
    assert not (folder / "result_random_ICL_open_evaluation.json").exists()
    assert (folder / "result_majority_ICL_open_evaluation.json").exists()
