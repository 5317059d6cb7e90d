"""stratify.py and smmile.analysis.stratification: the per-flag accuracy of PROTOCOL.md's schema."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
from helpers import PUBLISHED, run_script

from smmile.analysis.stratification import (
    collect_scored,
    context_flags,
    stratification_table,
    stratify,
    value_key,
)
from smmile.data import load_dataset_problems, resolve_source
from smmile.data.problems import context_facts as context_metadata
from smmile.errors import UserError
from smmile.present.stratification import stratification_text
from smmile.results.reader import check_single_dataset, load_results
from smmile.results.scores import read_judge_files
from smmile.types import Problem, ResultRecord, Triplet

ROOT = Path(__file__).resolve().parents[1]
needs_published = pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")


def demo_problems() -> list[Problem]:
    return load_dataset_problems(resolve_source("demo"), fetch_missing=False).problems


def zero_shot(problem: Problem) -> Problem:
    return Problem(problem.problem_id, (), problem.query, problem.metadata, problem.dataset)


def write_result(folder: Path, model: str, mode: str, right: set[str], problems: list[Problem]) -> None:
    """An open result whose answers are right on the problems in `right`, with the runner's metadata."""
    lines = []
    for p in problems:
        shown = p if mode == "ICL" else zero_shot(p)
        rec = ResultRecord(
            p.problem_id,
            final_question=p.query.question,
            true_answer=p.query.answer,
            generated_answer=p.query.answer if p.problem_id in right else "something else",
            model=model,
            inference_mode=mode,
            task_format="open",
            dataset="smmile-demo",
            metadata=context_metadata(shown),
        )
        lines.append(json.dumps(asdict(rec)) + "\n")
    (folder / f"result_{model}_{mode}_open.jsonl").write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return demo_problems()


@pytest.fixture
def folder(tmp_path: Path, problems: list[Problem]) -> Path:
    """qwen7B in both modes (0-shot right on radiology problems, ICL right on every other problem)."""
    radiology = {p.problem_id for p in problems if p.metadata["speciality"] == "radiology"}
    write_result(tmp_path, "qwen7B", "0-shot", radiology, problems)
    write_result(tmp_path, "qwen7B", "ICL", {p.problem_id for p in problems[::2]}, problems)
    return tmp_path


def stderr_lines(proc) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


# --- the computation ------------------------------------------------------------------------------


def test_stratify_counts_accuracy_total_and_correct_per_value():
    verdicts = {"a": 1, "b": 0, "c": 1, "d": 1}
    flags = {
        "a": {
            "speciality": "radiology",
            "flag_rarity": None,
            "flag_num_ICL": 3,
            "flag_last_ICL_match_problem": True,
        },
        "b": {
            "speciality": "radiology",
            "flag_rarity": "common",
            "flag_num_ICL": 3,
            "flag_last_ICL_match_problem": False,
        },
        "c": {
            "speciality": "pathology",
            "flag_rarity": "common",
            "flag_num_ICL": 10,
            "flag_last_ICL_match_problem": False,
        },
    }  # "d" has no flags: left out
    entry = stratify(verdicts, flags)
    assert list(entry) == [
        f"{name}_{stat}"
        for name in ("flag_rarity", "speciality", "flag_num_ICL", "flag_last_ICL_match_problem")
        for stat in ("accuracy", "total", "correct")
    ]
    assert entry["speciality_accuracy"] == {"pathology": 100.0, "radiology": 50.0}
    assert entry["speciality_total"] == {"pathology": 1, "radiology": 2}
    assert entry["speciality_correct"] == {"pathology": 1, "radiology": 1}
    assert entry["flag_rarity_total"] == {"common": 2, "None": 1}
    assert list(entry["flag_num_ICL_accuracy"]) == ["3", "10"]  # numbers sort by value
    assert entry["flag_last_ICL_match_problem_accuracy"] == {"false": 50.0, "true": 100.0}


def test_value_keys_follow_the_authors_json():
    assert [value_key(v) for v in (True, False, None, 3, 3.0, "CT")] == [
        "true",
        "false",
        "None",
        "3",
        "3",
        "CT",
    ]


def test_context_flags_of_a_plain_run(problems):
    p = Problem(
        "x",
        (Triplet("x", 0, "q", "Yes.", None), Triplet("x", 1, "q", "No.", None)),
        Triplet("x", 2, "q", "Yes.", None),
        {"speciality": "surgery", "flag_rarity": "common"},
    )
    icl = context_flags(p, "ICL")
    assert (icl["flag_num_ICL"], icl["flag_first_ICL_match_problem"], icl["flag_last_ICL_match_problem"]) == (
        2,
        True,
        False,
    )
    assert icl["speciality"] == "surgery"
    zero = context_flags(p, "0-shot")
    assert (
        zero["flag_num_ICL"],
        zero["flag_first_ICL_match_problem"],
        zero["flag_last_ICL_match_problem"],
    ) == (
        0,
        False,
        False,
    )
    # the dataset route gives what the runner wrote into the records
    for problem in problems:
        assert context_flags(problem, "ICL") == context_metadata(problem)
        assert context_flags(problem, "0-shot") == context_metadata(zero_shot(problem))


def test_table_from_jsonl_records(folder, problems):
    results, _ = load_results(folder)
    scored, notes = collect_scored(results, read_judge_files(folder, results), "em")
    table = stratification_table(scored)
    assert notes == []
    assert list(table) == ["qwen7B:0-shot", "qwen7B:ICL"]
    zero = table["qwen7B:0-shot"]
    n_radiology = sum(p.metadata["speciality"] == "radiology" for p in problems)
    assert zero["speciality_accuracy"]["radiology"] == 100.0
    assert zero["speciality_total"]["radiology"] == n_radiology
    assert all(v == 0.0 for k, v in zero["speciality_accuracy"].items() if k != "radiology")
    assert zero["flag_num_ICL_total"] == {"0": len(problems)}
    assert zero["flag_last_ICL_match_problem_total"] == {"false": len(problems)}
    icl = table["qwen7B:ICL"]
    assert sum(icl["flag_num_ICL_total"].values()) == len(problems)
    assert sum(icl["flag_num_ICL_correct"].values()) == len(problems[::2])
    text = stratification_text(table, "EM")
    assert "flag_num_ICL (EM %)" in text and "Qwen2.5-VL-7B 0-shot" in text
    assert "--" in text  # 0-shot has no problem with 2+ examples


# --- the script -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_script_writes_the_json_tables_and_heatmap(folder, tmp_path):
    figures = tmp_path / "figs"
    proc = run_script("stratify.py", folder, "--eval_type", "em", "--figures-dir", figures)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((folder / "model_stratification_em.json").read_text(encoding="utf-8"))
    assert set(data) == {"qwen7B:0-shot", "qwen7B:ICL"}
    for entry in data.values():
        for flag in ("speciality", "flag_image_type", "flag_num_ICL", "flag_first_ICL_match_problem"):
            acc, total, correct = (entry[f"{flag}_{s}"] for s in ("accuracy", "total", "correct"))
            assert set(acc) == set(total) == set(correct)
            for value in acc:
                assert acc[value] == pytest.approx(correct[value] / total[value] * 100)
    assert "speciality (EM %)" in proc.stdout
    stem = f"{folder.name}_stratification_em_heatmap"
    assert (figures / f"{stem}.png").stat().st_size > 0 and (figures / f"{stem}.pdf").stat().st_size > 0


@pytest.mark.slow
def test_script_filters_by_model_and_mode(folder, tmp_path):
    proc = run_script("stratify.py", folder, "--inference-mode", "ICL", "--no-figures")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((folder / "model_stratification_em.json").read_text(encoding="utf-8"))
    assert list(data) == ["qwen7B:ICL"]


@pytest.mark.slow
def test_llm_stratification_reads_the_judge_files(folder, problems):
    verdicts = {p.problem_id: 100.0 for p in problems}
    (folder / "result_qwen7B_ICL_open_evaluationllm.json").write_text(
        json.dumps({"problem_accuracies": verdicts}), encoding="utf-8"
    )
    proc = run_script("stratify.py", folder, "--eval_type", "llm", "--no-figures")
    assert proc.returncode == 0, proc.stderr
    # the 0-shot result has no judge file: said once, the other one is stratified
    assert [line for line in stderr_lines(proc) if "result_qwen7B_0-shot_open_evaluationllm.json" in line]
    data = json.loads((folder / "model_stratification_llm.json").read_text(encoding="utf-8"))
    assert list(data) == ["qwen7B:ICL"]
    assert set(data["qwen7B:ICL"]["speciality_accuracy"].values()) == {100.0}


@pytest.mark.slow
@pytest.mark.parametrize(
    "setup, expected",
    [
        ("empty", "no result files"),
        ("mixed", "mixes SMMILE++ and demo results"),
        ("no_judge", "run evaluate_LLMJudge.py"),
        ("no_flags", "--dataset-path"),
        ("bad_judge", "not valid JSON"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, problems, setup, expected):
    folder = tmp_path / "results"
    folder.mkdir()
    args = []
    if setup == "mixed":
        write_result(folder, "qwen7B", "ICL", set(), problems)
        rec = asdict(ResultRecord(problems[0].problem_id + "_perm_3", true_answer="a", generated_answer="a"))
        (folder / "result_qwen3B_ICL_open.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    elif setup == "no_judge":
        write_result(folder, "qwen7B", "ICL", set(), problems)
        args = ["--eval_type", "llm"]
    elif setup == "bad_judge":
        write_result(folder, "qwen7B", "ICL", set(), problems)
        (folder / "result_qwen7B_ICL_open_evaluationllm.json").write_text("{not json", encoding="utf-8")
        args = ["--eval_type", "llm"]
    elif setup == "no_flags":
        with open(folder / "result_qwen7B_ICL.csv", "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["problem_id", "true_answer", "generated_answer"], ["p1", "a", "a"]])
    proc = run_script("stratify.py", folder, "--no-figures", *args)
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(folder.glob("model_stratification_*.json"))


def test_results_without_flags_are_set_aside_when_others_have_them(folder):
    with open(folder / "result_llava_7b_ICL.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["problem_id", "true_answer", "generated_answer"], ["p1", "a", "a"]])
    results, _ = load_results(folder)
    scored, notes = collect_scored(results, read_judge_files(folder, results), "em")
    assert [s.label for s in scored] == ["qwen7B:0-shot", "qwen7B:ICL"]
    assert len(notes) == 1 and "result_llava_7b_ICL.csv" in notes[0] and "--dataset" in notes[0]


def test_check_single_dataset(folder, problems):
    results, _ = load_results(folder)
    check_single_dataset(results, folder)  # SMMILE only: fine
    rec = ResultRecord(problems[0].problem_id + "_perm_0")
    results[0].records.append(rec)
    with pytest.raises(UserError, match=r"mixes SMMILE\+\+ and demo results"):
        check_single_dataset(results, folder)


# --- the published results (the authors' CSVs carry no flags) -------------------------------------


def write_local_dataset(folder: Path, problem_ids: list[str]) -> Path:
    """A local copy holding the given problems (one example and a query each, one shared image)."""
    from PIL import Image

    folder.mkdir()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(folder / "img.png")
    rows = []
    for i, pid in enumerate(problem_ids):
        flags = {"speciality": "radiology" if i % 2 else "pathology", "flag_rarity": "common"}
        for order, answer in enumerate(("Yes.", "Yes." if i % 3 else "No.")):
            rows.append(
                {
                    "problem_id": pid,
                    "order": order,
                    "image": "img.png",
                    "question": "q?",
                    "answer": answer,
                    **flags,
                }
            )
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    if not PUBLISHED.is_dir():
        pytest.skip("published results not available")
    copy = tmp_path_factory.mktemp("published") / "results"
    shutil.copytree(PUBLISHED, copy)
    return copy


@needs_published
@pytest.mark.slow
def test_published_results_say_what_they_need(published):
    for extra in ([], ["--dataset-path", str(published / "nowhere")]):
        proc = run_script("stratify.py", published, "--no-figures", *extra)
        assert proc.returncode == 2
        lines = stderr_lines(proc)
        assert len(lines) == 1, proc.stderr
        assert "dataset" in lines[0] and "Traceback" not in proc.stderr
    assert "--dataset-path" in stderr_lines(run_script("stratify.py", published, "--no-figures"))[0]


@needs_published
@pytest.mark.slow
def test_published_results_with_a_dataset(published, tmp_path):
    authors = json.loads((PUBLISHED / "model_stratification_llm.json").read_text(encoding="utf-8"))
    with open(published / "result_qwen7B_0-shot_open.csv", newline="", encoding="utf-8") as fh:
        ids = sorted({row["problem_id"] for row in csv.DictReader(fh)})
    dataset = write_local_dataset(tmp_path / "dataset", ids)
    proc = run_script(
        "stratify.py", published, "--eval_type", "llm", "--dataset-path", dataset, "--no-figures"
    )
    assert proc.returncode == 0, proc.stderr
    ours = json.loads((published / "model_stratification_llm.json").read_text(encoding="utf-8"))
    assert len(ours) == len(authors) == 34
    for model in ("qwen7B", "gpt-4o", "claude-3-7-sonnet", "MedVLM-R1"):
        # a 0-shot run has no examples: one value, the model's judge accuracy, as the authors'
        key = f"{model}:0-shot"
        assert ours[key]["flag_num_ICL_accuracy"] == pytest.approx(authors[key]["flag_num_ICL_accuracy"])
        assert ours[key]["flag_num_ICL_total"] == {"0": 111}
    assert set(ours["qwen7B:ICL"]["flag_num_ICL_total"]) == {"1"}
    assert sum(ours["qwen7B:ICL"]["speciality_total"].values()) == 111


@needs_published
@pytest.mark.slow
def test_published_results_with_another_datasets_ids(published, tmp_path):
    dataset = write_local_dataset(tmp_path / "dataset", ["other_perm_0", "other_perm_1"])
    proc = run_script("stratify.py", published, "--dataset-path", dataset, "--no-figures")
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "none of the problems" in lines[0], proc.stderr
