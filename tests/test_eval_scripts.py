"""evaluate_EM.py and variance_analysis.py run as the users run them: subprocesses from their folder."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PUBLISHED, record, run_script

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "inference_and_evaluation"
COMPAT = ROOT.parent / "shared" / "tools" / "paper_compat.py"
GOOD_JSONL = "result_qwen7B_ICL_open.jsonl"
GOOD_CSV = "result_llava_7b_0-shot_mcqa.csv"


def stderr_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two good results: a JSONL open result (3 of 4 right) and a CSV MCQA result (1 of 2 right)."""
    rows = [
        record("p1", "Melanoma.", "melanoma"),
        record("p2", "yes", "Yes"),
        record("p3", "no", "yes"),
        record("p4", "Left, lower lobe", "left lower lobe"),
    ]
    (tmp_path / GOOD_JSONL).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    write_csv(
        tmp_path / GOOD_CSV,
        ["problem_id", "final_question", "true_answer", "correct_option", "selected_option", "is_correct"],
        [["p1", "q", "Red", "B", "B", "True"], ["p2", "q", "Blue", "A", "C", "False"]],
    )
    return tmp_path


def evaluation(folder: Path, stem: str) -> dict:
    return json.loads((folder / f"{stem}_evaluation.json").read_text(encoding="utf-8"))


def test_evaluate_em_scores_everything(folder):
    proc = run_script("evaluate_EM.py", folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    em = evaluation(folder, "result_qwen7B_ICL_open")
    assert (em["correct_examples"], em["total_examples"], em["metric"], em["strict_match"]) == (
        3,
        4,
        "EM",
        False,
    )
    assert em["accuracy"] == 75.0 and em["model"] == "qwen7B"
    mcqa = evaluation(folder, "result_llava_7b_0-shot_mcqa")
    assert (mcqa["correct_examples"], mcqa["accuracy"], mcqa["metric"]) == (1, 50.0, "MCQA")
    comparison = (folder / "model_comparison.txt").read_text(encoding="utf-8")
    assert "qwen7B" in comparison and "llava_7b" in comparison
    assert "75.00" in proc.stdout


def test_evaluate_em_flags(folder):
    proc = run_script("evaluate_EM.py", folder, "--strict_match", "--model", "qwen7B")
    assert proc.returncode == 0, proc.stderr
    em = json.loads((folder / "result_qwen7B_ICL_open_evaluation_strict.json").read_text())
    assert em["correct_examples"] == 0 and em["strict_match"] is True
    assert not (folder / "result_qwen7B_ICL_open_evaluation.json").exists()
    assert not (folder / "result_llava_7b_0-shot_mcqa_evaluation.json").exists()
    proc = run_script("evaluate_EM.py", folder, "--inference-mode", "0-shot")
    assert proc.returncode == 0
    assert (folder / "result_llava_7b_0-shot_mcqa_evaluation.json").exists()
    proc = run_script("evaluate_EM.py", folder, "--model", "gpt-4o")
    assert proc.returncode == 2 and len(stderr_lines(proc)) == 1 and "no result matches" in proc.stderr
    proc = run_script("evaluate_EM.py", folder, "--inference_mode", "2-shot")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def comparison_rows(path: Path) -> dict[str, str]:
    """model_comparison*.txt: the row of each model (its first column)."""
    lines = path.read_text(encoding="utf-8").splitlines()[4:]
    return {line.split(" | ")[0].strip(): line for line in lines if " | " in line}


def test_strict_match_writes_its_own_files_and_leaves_the_default_scores(folder):
    """`--strict-match --model` once overwrote the default evaluation and replaced the comparison."""
    assert run_script("evaluate_EM.py", folder).returncode == 0
    default = (folder / "result_qwen7B_ICL_open_evaluation.json").read_bytes()
    comparison = (folder / "model_comparison.txt").read_bytes()
    proc = run_script("evaluate_EM.py", folder, "--strict-match", "--model", "qwen7B")
    assert proc.returncode == 0, proc.stderr
    assert (folder / "result_qwen7B_ICL_open_evaluation.json").read_bytes() == default
    assert (folder / "model_comparison.txt").read_bytes() == comparison
    strict = json.loads((folder / "result_qwen7B_ICL_open_evaluation_strict.json").read_text())
    assert (strict["correct_examples"], strict["strict_match"], strict["metric"]) == (0, True, "EM")
    rows = comparison_rows(folder / "model_comparison_strict.txt")
    assert list(rows) == ["qwen7B"] and " 0.00 " in rows["qwen7B"]
    assert not (folder / "result_llava_7b_0-shot_mcqa_evaluation_strict.json").exists()
    proc = run_script("evaluate_EM.py", folder, "--strict-match")  # MCQA has no strict score
    assert proc.returncode == 0 and "1 MCQA result(s) not scored" in proc.stdout
    assert not (folder / "result_llava_7b_0-shot_mcqa_evaluation_strict.json").exists()


def test_variance_analysis_shows_strict_scores_beside_the_default(folder):
    proc = run_script("variance_analysis.py", folder, "--strict-match", "--no-figures", "--generate_table")
    assert proc.returncode == 0, proc.stderr
    cells = json.loads((folder / "evaluation_results.json").read_text())
    assert (
        cells["qwen7B"]["EM"]["ICL"]["accuracy"] == 75.0
        and cells["qwen7B"]["EM strict"]["ICL"]["accuracy"] == 0.0
    )
    header = (folder / "evaluation_results.txt").read_text().splitlines()[2]
    assert header.index("EM ICL") < header.index("EM strict 0-shot") < header.index("MCQA 0-shot")
    assert r"\multicolumn{2}{c}{EM strict}" in (folder / "latex_table.tex").read_text()
    proc = run_script("variance_analysis.py", folder, "--no-figures")
    assert "EM strict" not in json.loads((folder / "evaluation_results.json").read_text())["qwen7B"]


def test_a_filtered_rescore_updates_only_its_rows_of_the_comparison(folder):
    assert run_script("evaluate_EM.py", folder).returncode == 0
    before = comparison_rows(folder / "model_comparison.txt")
    assert set(before) == {"qwen7B", "llava_7b"}
    rows = [record("p1", "Melanoma.", "melanoma"), record("p2", "no", "Yes")]  # now 1 of 2
    (folder / GOOD_JSONL).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    mcqa = (folder / "result_llava_7b_0-shot_mcqa_evaluation.json").read_bytes()
    proc = run_script("evaluate_EM.py", folder, "--model", "qwen7B")
    assert proc.returncode == 0, proc.stderr
    after = comparison_rows(folder / "model_comparison.txt")
    assert set(after) == {"qwen7B", "llava_7b"} and after["llava_7b"] == before["llava_7b"]
    assert " 50.00 " in after["qwen7B"] and " 75.00 " in before["qwen7B"]
    assert (folder / "result_llava_7b_0-shot_mcqa_evaluation.json").read_bytes() == mcqa
    proc = run_script("evaluate_EM.py", folder, "--inference-mode", "0-shot")
    assert proc.returncode == 0 and set(comparison_rows(folder / "model_comparison.txt")) == {
        "qwen7B",
        "llava_7b",
    }


def test_output_dir_scores_a_folder_without_writing_into_it(folder, tmp_path_factory):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    out = elsewhere / "scores"
    proc = run_script("evaluate_EM.py", folder, "--output-dir", out)
    assert proc.returncode == 0, proc.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert evaluation(out, "result_qwen7B_ICL_open")["correct_examples"] == 3
    assert set(comparison_rows(out / "model_comparison.txt")) == {"qwen7B", "llava_7b"}
    (elsewhere / "a-file").write_text("x")
    proc = run_script("evaluate_EM.py", folder, "--output-dir", elsewhere / "a-file")
    assert proc.returncode == 2 and len(stderr_lines(proc)) == 1 and "not a folder" in proc.stderr


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")
def test_output_dir_leaves_a_published_folder_untouched(tmp_path):
    before = {p.name: p.stat().st_mtime_ns for p in PUBLISHED.iterdir()}
    proc = run_script("evaluate_EM.py", PUBLISHED, "--output-dir", tmp_path / "out", "--model", "gpt-4o")
    assert proc.returncode == 0, proc.stderr
    assert {p.name: p.stat().st_mtime_ns for p in PUBLISHED.iterdir()} == before
    for name in ("result_gpt-4o_ICL_open_evaluation.json", "result_gpt-4o_0-shot_open_evaluation.json"):
        mine, published = (
            json.loads((tmp_path / "out" / name).read_text()),
            json.loads((PUBLISHED / name).read_text()),
        )
        assert mine["correct_examples"] == published["correct_examples"]


BAD_FILES = {
    "csv missing column": (
        "result_gpt-4o_ICL_open.csv",
        b"problem_id,true_answer\np1,yes\n",
        "generated_answer",
    ),
    "jsonl missing field": (
        "result_gpt-4o_ICL_open.jsonl",
        b'{"problem_id": "p1", "generated_answer": "x"}\n',
        "true_answer",
    ),
    "empty csv": ("result_gpt-4o_ICL_open.csv", b"", "empty"),
    "empty jsonl": ("result_gpt-4o_ICL_open.jsonl", b"", "empty"),
    "not utf-8": (
        "result_gpt-4o_ICL_open.csv",
        "problem_id,true_answer,generated_answer\np1,Caf\xe9,x\n".encode("latin-1"),
        "UTF-8",
    ),
    "malformed jsonl": ("result_gpt-4o_ICL_open.jsonl", b'{"problem_id": \n{"problem_id": "p2"}\n', "line 1"),
    "no problem_id": (
        "result_gpt-4o_ICL_open.jsonl",
        b'{"true_answer": "a", "generated_answer": "a"}\n',
        "problem_id",
    ),
    "unparsable name": (
        "result_gpt-4o_fewshot.csv",
        b"problem_id,true_answer,generated_answer\np1,a,a\n",
        "file name",
    ),
}


@pytest.mark.parametrize("script", ["evaluate_EM.py", "variance_analysis.py"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_one_line_and_the_rest_is_scored(folder, script, case):
    name, content, words = BAD_FILES[case]
    (folder / name).write_bytes(content)
    proc = run_script(script, folder)
    assert proc.returncode == 0, proc.stderr
    lines = stderr_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert name in lines[0] and words in lines[0] and lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    if script == "evaluate_EM.py":
        assert evaluation(folder, "result_qwen7B_ICL_open")["correct_examples"] == 3
        assert evaluation(folder, "result_llava_7b_0-shot_mcqa")["correct_examples"] == 1
    else:
        cells = json.loads((folder / "evaluation_results.json").read_text())
        assert cells["qwen7B"]["EM"]["ICL"]["accuracy"] == 75.0
        assert cells["llava_7b"]["MCQA"]["0-shot"]["accuracy"] == 50.0
        assert "gpt-4o" not in cells


@pytest.mark.parametrize("script", ["evaluate_EM.py", "variance_analysis.py"])
def test_only_bad_files_exit_2(tmp_path, script):
    (tmp_path / "result_gpt-4o_ICL_open.csv").write_bytes(b"")
    proc = run_script(script, tmp_path)
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "result_gpt-4o_ICL_open.csv" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("script", ["evaluate_EM.py", "variance_analysis.py"])
@pytest.mark.parametrize("where", ["empty", "missing"])
def test_empty_or_missing_folder(tmp_path, script, where):
    target = tmp_path / "results"
    if where == "empty":
        target.mkdir()
        (target / "notes.txt").write_text("not a result")
    proc = run_script(script, target)
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and str(target) in lines[0] and "Traceback" not in proc.stderr


def test_torn_last_line_is_a_warning_and_the_rest_scores(folder):
    path = folder / GOOD_JSONL
    path.write_text(path.read_text() + '{"problem_id": "p5", "true_ans', encoding="utf-8")
    proc = run_script("evaluate_EM.py", folder)
    assert proc.returncode == 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and lines[0].startswith("warning: ") and GOOD_JSONL in lines[0]
    assert evaluation(folder, "result_qwen7B_ICL_open")["total_examples"] == 4


def test_empty_answers_score_as_nan(tmp_path):
    write_csv(
        tmp_path / "result_llava_13b_ICL.csv",
        ["problem_id", "final_question", "true_answer", "generated_answer", "full_response"],
        [["p1", "q", "nan", "", ""], ["p2", "q", "Gout", "", ""], ["p3", "q", "a, b", "A b", "x"]],
    )
    proc = run_script("evaluate_EM.py", tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    out = evaluation(tmp_path, "result_llava_13b_ICL")
    assert out["problem_accuracies"] == {"p1": 100.0, "p2": 0.0, "p3": 100.0}
    assert out["word_count"] == pytest.approx(4 / 3)


def test_existing_outputs_survive_a_broken_input(folder):
    proc = run_script("evaluate_EM.py", folder)
    assert proc.returncode == 0
    kept = folder / "result_qwen7B_ICL_open_evaluation.json"
    before = kept.read_bytes()
    (folder / GOOD_JSONL).write_bytes(b"")
    proc = run_script("evaluate_EM.py", folder)
    assert proc.returncode == 0 and GOOD_JSONL in proc.stderr
    assert kept.read_bytes() == before
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_variance_analysis_outputs(folder):
    judge = {"problem_accuracies": {"p1": 100.0, "p2": 0.0, "p3": 0.0, "p4": 100.0}}
    (folder / "result_qwen7B_ICL_open_evaluationllm.json").write_text(json.dumps(judge))
    ablation = [record("p1", "no", "yes")]
    (folder / "result_qwen7B_ICL_open.order-reversed.jsonl").write_text(json.dumps(ablation[0]) + "\n")
    latex = folder / "tables" / "t.tex"
    proc = run_script(
        "variance_analysis.py",
        folder,
        "--generate_table",
        "--latex_output",
        latex,
        "--n_bootstrap",
        200,
        "--seed",
        1,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    cells = json.loads((folder / "evaluation_results.json").read_text())
    assert set(cells) == {"qwen7B", "llava_7b"}
    assert set(cells["qwen7B"]) == {"EM", "LLM"}
    llm = cells["qwen7B"]["LLM"]["ICL"]
    assert llm["accuracy"] == 50.0 and llm["n"] == 4
    assert set(llm) == {"accuracy", "std", "ci_low", "ci_high", "n"}
    assert cells["qwen7B"]["EM"]["ICL"]["accuracy"] == 75.0  # the ablation run is not mixed in
    text = (folder / "evaluation_results.txt").read_text()
    assert "Qwen2.5-VL-7B" in text and "95% CI" in text
    tex = latex.read_text()
    lines = tex.splitlines()
    assert lines[lines.index(r"\end{tabular}") - 1] == r"\bottomrule" and r"\pm" in tex
    # the CSV result holds 2 of SMMILE's 111 problems: its cells carry a footnote mark
    assert r"\footnotemark[1]" in tex and lines[-1].startswith(r"\footnotetext[1]{incomplete")
    again = run_script("variance_analysis.py", folder, "--n-bootstrap", 200, "--seed", 1)
    assert json.loads((folder / "evaluation_results.json").read_text()) == cells
    assert not (folder / "latex_table.tex").exists() and again.returncode == 0
    proc = run_script("variance_analysis.py", folder, "--generate-table", "--mean_only")
    assert proc.returncode == 0 and r"\pm" not in (folder / "latex_table.tex").read_text()


def test_variance_analysis_bad_judge_file(folder):
    (folder / "result_qwen7B_ICL_open_evaluationllm.json").write_text('{"problem_accuracies": {"p1": 50}}')
    proc = run_script("variance_analysis.py", folder)
    assert proc.returncode == 0
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "result_qwen7B_ICL_open_evaluationllm.json" in lines[0]
    assert "LLM" not in json.loads((folder / "evaluation_results.json").read_text())["qwen7B"]


@pytest.mark.skipif(not (PUBLISHED.is_dir() and COMPAT.is_file()), reason="published results not available")
def test_paper_compat():
    proc = subprocess.run(
        [sys.executable, str(COMPAT), str(PUBLISHED), "--python", sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    last = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "EM files 34/34 identical" in last
    match = re.search(r"variance cells (\d+)/(\d+) match", last)
    assert match and match[1] == match[2] and int(match[1]) > 0
