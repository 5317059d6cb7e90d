"""Honest tables: n per cell, marks (with a legend) on cells that are incomplete, hold error
records or unreadable MCQA replies, or come from a saved score without its result file; a folder
mixing datasets is refused in one line."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from helpers import PUBLISHED, record, run_script

from smmile.results.datasets import demo_problem_ids

DEMO = sorted(demo_problem_ids())


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def demo_rows(ids, model="qwen7B", mode="ICL", fmt="open", **kw) -> list[dict]:
    return [
        record(
            pid, "yes", "yes", model=model, inference_mode=mode, task_format=fmt, dataset="smmile-demo", **kw
        )
        for pid in ids
    ]


def variance(folder: Path, *args: str):
    proc = run_script("variance_analysis.py", folder, "--no-figures", *args)
    cells = json.loads((folder / "evaluation_results.json").read_text()) if proc.returncode == 0 else {}
    return proc, cells


def row_of(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(name))
    return [c.strip() for c in line.split(" | ")]


def test_a_missing_shard_and_missing_problems_mark_the_cell(tmp_path):
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.shard-0-of-3.jsonl", demo_rows(DEMO[:4]))
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.shard-2-of-3.jsonl", demo_rows(DEMO[4:8]))
    write_jsonl(tmp_path / "result_qwen7B_0-shot_open.jsonl", demo_rows(DEMO, mode="0-shot"))
    proc, cells = variance(tmp_path, "--generate_table")
    assert proc.returncode == 0, proc.stderr
    icl, zero = cells["qwen7B"]["EM"]["ICL"], cells["qwen7B"]["EM"]["0-shot"]
    assert icl["n"] == 8 and icl["marks"] == ["a"] and icl["expected_n"] == 12
    assert "8 of 12 problems" in icl["caveats"] and any("shard-1-of-3" in c for c in icl["caveats"])
    assert zero["n"] == 12 and "marks" not in zero  # a complete, clean cell carries no mark
    text = (tmp_path / "evaluation_results.txt").read_text()
    row = row_of(text, "Qwen2.5-VL-7B")
    assert row[3] == "100.00 ± 0.00 n=12" and row[4] == "100.00 ± 0.00 n=8 [a]"
    assert "[a] incomplete:" in text
    tex = (tmp_path / "latex_table.tex").read_text()
    qwen = next(line for line in tex.splitlines() if line.startswith("Qwen2.5-VL-7B"))
    assert (
        r"$100.00 \pm \scriptstyle{0.00}$ & $100.00 \pm \scriptstyle{0.00}$ {\scriptsize $n{=}8$}\footnotemark[1]"
        in qwen
    )
    assert r"\footnotetext[1]{incomplete:" in tex
    gain = json.loads((tmp_path / "icl_gain.json").read_text())["gains"]["qwen7B"]["EM"]
    assert gain["marks"] == ["a"] and gain["n"] == 8  # a gain inherits the caveats of its cells
    gain_text = (tmp_path / "icl_gain.txt").read_text()
    assert row_of(gain_text, "Qwen2.5-VL-7B")[1].endswith("[a]") and "[a] incomplete:" in gain_text
    assert r"\footnotemark[1]" in (tmp_path / "icl_gain.tex").read_text()


def test_error_records_and_unreadable_replies_are_marked_and_counted(tmp_path):
    rows = demo_rows(DEMO[:6], fmt="mcqa", correct_option="A")
    for r, chosen in zip(rows, ["A", "B", "EXTRACTION_FAILED", "INVALID_OPTION:F", "A", None], strict=True):
        r["selected_option"] = chosen
    rows[5].update(status="error", error="HTTP 500")
    rows += demo_rows(DEMO[6:], fmt="mcqa", correct_option="A", selected_option="A")
    write_jsonl(tmp_path / "result_qwen7B_ICL_mcqa.jsonl", rows)
    proc = run_script("evaluate_EM.py", tmp_path)
    assert proc.returncode == 0, proc.stderr
    ev = json.loads((tmp_path / "result_qwen7B_ICL_mcqa_evaluation.json").read_text())
    assert (ev["unreadable_count"], ev["extraction_failed_count"], ev["invalid_option_count"]) == (2, 1, 1)
    assert ev["err_count"] == 1
    row = row_of((tmp_path / "model_comparison.txt").read_text(), "qwen7B")
    assert "2 unreadable" in row[-1]
    proc, cells = variance(tmp_path)
    cell = cells["qwen7B"]["MCQA"]["ICL"]
    assert cell["marks"] == ["e", "u"]
    assert "1 error record(s)" in cell["caveats"] and "2 of 12 MCQA replies unreadable" in cell["caveats"]
    text = (tmp_path / "evaluation_results.txt").read_text()
    assert row_of(text, "Qwen2.5-VL-7B")[6].endswith("n=12 [e,u]")
    assert "[e] has error records" in text and "[u] has MCQA replies" in text


def test_a_folder_mixing_the_demo_and_smmile_is_refused_naming_the_files(tmp_path):
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", demo_rows(DEMO))
    with open(tmp_path / "result_gpt-4o_ICL_open.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["problem_id", "final_question", "true_answer", "generated_answer"])
        writer.writerows([[f"0000000{i}-aaaa-bbbb-cccc-dddddddddddd", "q", "a", "a"] for i in range(3)])
    for script, extra in [("variance_analysis.py", ["--no-figures"]), ("stratify.py", ["--no-figures"]),
                          ("report.py", [])]:  # fmt: skip
        proc = run_script(script, tmp_path, *extra)
        assert proc.returncode == 2, (script, proc.stderr)
        line = proc.stderr.strip().splitlines()[-1]
        assert "mixes SMMILE and demo results" in line
        assert "SMMILE (111 problems): result_gpt-4o_ICL_open.csv" in line
        assert "demo (12 problems): result_qwen7B_ICL_open.jsonl" in line
    assert not (tmp_path / "evaluation_results.json").exists()


def test_a_saved_score_without_its_result_file_is_used_and_marked(tmp_path):
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", demo_rows(DEMO))
    accuracies = {pid: (100.0 if i % 2 else 0.0) for i, pid in enumerate(DEMO)}
    saved = {"model": "llama33textonly", "inference_mode": "0-shot", "total_examples": 12, "original_count": 12,
             "excluded_count": 0, "correct_examples": 6, "accuracy": 50.0, "err_count": 0,
             "problem_accuracies": accuracies, "incorrect_examples": [], "word_count": 3.0}  # fmt: skip
    (tmp_path / "result_llama33textonly_0-shot_evaluation.json").write_text(json.dumps(saved))
    (tmp_path / "result_llama33textonly_0-shot_evaluationllm.json").write_text(
        json.dumps({**saved, "llm_err_count": 0})
    )
    proc, cells = variance(tmp_path)
    assert proc.returncode == 0, proc.stderr
    for metric in ("EM", "LLM"):
        cell = cells["llama33textonly"][metric]["0-shot"]
        assert cell["accuracy"] == 50.0 and cell["n"] == 12 and cell["marks"] == ["p"]
    assert "result_llama33textonly_0-shot_evaluation.json: no result file" in proc.stderr
    text = (tmp_path / "evaluation_results.txt").read_text()
    assert (
        row_of(text, "Text only*")[1]
        == "50.00 ± " + text.split("Text only*")[1].split("±")[1].split("n=")[0].strip() + " n=12 [p]"
    )
    assert "[p] a saved score whose result file is absent" in text


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")
def test_llava_meds_unreadable_mcqa_replies_are_visible(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    for name in ("result_llavamed_ICL_mcqa.csv", "result_qwen7B_ICL_mcqa.csv"):
        shutil.copy(PUBLISHED / name, folder / name)
    assert run_script("evaluate_EM.py", folder).returncode == 0
    ev = json.loads((folder / "result_llavamed_ICL_mcqa_evaluation.json").read_text())
    assert ev["accuracy"] == 0.0 and ev["unreadable_count"] == 104
    proc, cells = variance(folder)
    assert proc.returncode == 0, proc.stderr
    assert (
        cells["llavamed"]["MCQA"]["ICL"]["marks"] == ["u"] and "marks" not in cells["qwen7B"]["MCQA"]["ICL"]
    )
    text = (folder / "evaluation_results.txt").read_text()
    assert "LLaVA-Med** MCQA ICL: 0.00 ± 0.00" in text and "104 of 111 MCQA replies unreadable" in text


def test_the_stratification_and_the_report_mark_their_cells(tmp_path):
    rows = demo_rows(DEMO[:8])
    rows[0].update(status="error", error="HTTP 500", generated_answer=None)
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", rows)
    write_jsonl(tmp_path / "result_qwen7B_0-shot_open.jsonl", demo_rows(DEMO, mode="0-shot"))
    proc = run_script("stratify.py", tmp_path, "--eval_type", "em", "--no-figures", "--dataset", "demo")
    assert proc.returncode == 0, proc.stderr
    icl = next(line for line in proc.stdout.splitlines() if line.startswith("Qwen2.5-VL-7B ICL"))
    zero = next(line for line in proc.stdout.splitlines() if line.startswith("Qwen2.5-VL-7B 0-shot"))
    assert "[a,e]" in icl and "[" not in zero.split(" | ")[0]
    assert "(" in icl.split(" | ")[1]  # every cell shows its n
    assert "[a] incomplete:" in proc.stdout and "[e] has error records" in proc.stdout
    proc = run_script("report.py", tmp_path)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    assert (
        '<span class="small">n=8</span><sup title="8 of 12 problems; 1 error record(s)">a,e</sup>' in summary
    )
    assert '<span class="small">n=12</span></td>' in summary  # the clean cell: n, no mark
    assert "[a] incomplete:" in summary and "[e] has error records" in summary
