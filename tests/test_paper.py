"""The paper's tables as package data, and compare_paper.py on the authors' published results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import PUBLISHED, ROOT, record, run_script

from smmile.analysis.paper_compare import (
    AGREES,
    DIFFERS,
    INCOMPLETE,
    NEW,
    NOT_RUN,
    OMITTED,
    OurCell,
    compare,
    compare_cell,
)
from smmile.data.paper_tables import paper_table, paper_tables
from smmile.present.paper import combined_latex, comparison_text
from smmile.present.tables import COLUMNS

SHARED_TABLES = PUBLISHED.parent / "paper_tables.json"
needs_published = pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")

# Every Table 1 cell that the published files have: (model, metric, mode, paper value, ours - paper).
TABLE1 = [
    ("majority", "LLM", "ICL", 26.3, +0.727),
    ("majority", "EM", "ICL", 27.26, -0.233),
    ("majority", "MCQA", "ICL", 24.15, +0.174),
    ("random", "LLM", "ICL", 27.86, -4.437),
    ("random", "EM", "ICL", 23.16, +0.263),
    ("random", "MCQA", "ICL", 36.3, -0.264),
    ("llama33textonly", "LLM", "0-shot", 5.32, +0.085),
    ("llama33textonly", "LLM", "ICL", 16.53, -0.314),
    ("llama33textonly", "EM", "ICL", 5.22, +0.185),
    ("llama33textonly", "MCQA", "0-shot", 38.62, +0.119),
    ("llama33textonly", "MCQA", "ICL", 28.03, +0.799),
    ("claude-3-7-sonnet", "LLM", "0-shot", 37.18, -0.243),
    ("claude-3-7-sonnet", "LLM", "ICL", 36.17, -0.134),
    ("claude-3-7-sonnet", "EM", "ICL", 2.63, +0.073),
    ("claude-3-7-sonnet", "MCQA", "0-shot", 56.1, -0.244),
    ("claude-3-7-sonnet", "MCQA", "ICL", 42.01, +0.332),
    ("gpt-4o", "LLM", "0-shot", 32.56, -0.128),
    ("gpt-4o", "LLM", "ICL", 49.88, -0.330),
    ("gpt-4o", "EM", "ICL", 8.94, +0.069),
    ("gpt-4o", "MCQA", "0-shot", 49.74, -0.190),
    ("gpt-4o", "MCQA", "ICL", 58.85, -0.291),
    ("llama32_vision_90b", "LLM", "0-shot", 31.84, -0.308),
    ("llama32_vision_90b", "LLM", "ICL", 40.66, -0.119),
    ("llama32_vision_90b", "EM", "ICL", 30.53, +0.101),
    ("llama32_vision_90b", "MCQA", "0-shot", 55.04, -0.085),
    ("llama32_vision_90b", "MCQA", "ICL", 30.3, -0.570),
    ("llavamed", "LLM", "0-shot", 21.65, +0.873),
    ("llavamed", "LLM", "ICL", 10.19, -0.280),
    ("llavamed", "EM", "ICL", 0.0, +0.000),
    ("llavamed", "MCQA", "0-shot", 0.0, +0.000),
    ("llavamed", "MCQA", "ICL", 0.0, +0.000),
    ("llavaonevision_0.5b", "LLM", "0-shot", 18.26, -0.242),
    ("llavaonevision_0.5b", "LLM", "ICL", 21.63, -0.008),
    ("llavaonevision_0.5b", "EM", "ICL", 13.46, +0.054),
    ("llavaonevision_0.5b", "MCQA", "0-shot", 44.03, +0.114),
    ("llavaonevision_0.5b", "MCQA", "ICL", 32.11, +0.322),
    ("llavaonevision_7b", "LLM", "0-shot", 16.41, -0.194),
    ("llavaonevision_7b", "LLM", "ICL", 24.25, +0.074),
    ("llavaonevision_7b", "EM", "ICL", 22.43, +0.093),
    ("llavaonevision_7b", "MCQA", "0-shot", 40.15, -0.510),
    ("llavaonevision_7b", "MCQA", "ICL", 27.17, -0.143),
    ("llava_7b", "LLM", "0-shot", 14.61, +0.705),
    ("llava_7b", "LLM", "ICL", 18.72, +0.199),
    ("llava_7b", "EM", "ICL", 16.37, -0.154),
    ("llava_7b", "MCQA", "0-shot", 40.34, +0.201),
    ("llava_7b", "MCQA", "ICL", 22.3, +0.223),
    ("llava_13b", "LLM", "0-shot", 19.58, +1.141),
    ("llava_13b", "LLM", "ICL", 20.91, +0.712),
    ("llava_13b", "EM", "ICL", 19.54, +0.280),
    ("llava_13b", "MCQA", "0-shot", 38.96, -0.221),
    ("llava_13b", "MCQA", "ICL", 24.92, +0.305),
    ("llavanext_7b", "LLM", "0-shot", 11.42, +0.292),
    ("llavanext_7b", "LLM", "ICL", 23.66, -0.237),
    ("llavanext_7b", "EM", "ICL", 2.69, +0.013),
    ("llavanext_7b", "MCQA", "0-shot", 38.11, -0.272),
    ("llavanext_7b", "MCQA", "ICL", 29.01, -0.181),
    ("medgemma_4b", "LLM", "0-shot", 27.73, +0.198),
    ("medgemma_4b", "LLM", "ICL", 36.86, +0.077),
    ("medgemma_4b", "EM", "ICL", 12.14, -0.428),
    ("medgemma_4b", "MCQA", "0-shot", 41.21, +0.231),
    ("medgemma_4b", "MCQA", "ICL", 40.67, -0.129),
    ("MedVLM-R1", "LLM", "0-shot", 25.2, +0.025),
    ("MedVLM-R1", "LLM", "ICL", 26.74, -0.614),
    ("MedVLM-R1", "EM", "ICL", 15.26, +0.055),
    ("MedVLM-R1", "MCQA", "0-shot", 36.54, -0.504),
    ("MedVLM-R1", "MCQA", "ICL", 26.22, +0.807),
    ("qwen3B", "LLM", "0-shot", 27.62, -0.593),
    ("qwen3B", "LLM", "ICL", 33.58, -0.247),
    ("qwen3B", "EM", "ICL", 26.18, -0.054),
    ("qwen3B", "MCQA", "0-shot", 37.58, +0.258),
    ("qwen3B", "MCQA", "ICL", 27.35, -0.323),
    ("qwen7B", "LLM", "0-shot", 17.9, +0.118),
    ("qwen7B", "LLM", "ICL", 29.58, -0.751),
    ("qwen7B", "EM", "ICL", 22.45, +0.073),
    ("qwen7B", "MCQA", "0-shot", 38.24, +0.499),
    ("qwen7B", "MCQA", "ICL", 45.01, +0.035),
    ("qwen32B", "LLM", "0-shot", 25.27, -0.045),
    ("qwen32B", "LLM", "ICL", 41.79, -0.349),
    ("qwen32B", "EM", "ICL", 31.84, -0.308),
    ("qwen32B", "MCQA", "0-shot", 51.76, -0.409),
    ("qwen32B", "MCQA", "ICL", 49.97, -0.420),
    ("qwen72B", "LLM", "0-shot", 29.9, -0.170),
    ("qwen72B", "LLM", "ICL", 42.59, +0.653),
    ("qwen72B", "EM", "ICL", 15.71, +0.506),
    ("qwen72B", "MCQA", "0-shot", 52.33, -0.078),
    ("qwen72B", "MCQA", "ICL", 54.71, +0.245),
]
DIFFERING = {
    ("majority", "LLM", "ICL"),
    ("random", "LLM", "ICL"),
    ("llama33textonly", "MCQA", "ICL"),
    ("llama32_vision_90b", "MCQA", "ICL"),
    ("llava_7b", "LLM", "0-shot"),
    ("llava_13b", "LLM", "0-shot"),
    ("llava_13b", "LLM", "ICL"),
    ("llavaonevision_7b", "MCQA", "0-shot"),
    ("llavamed", "LLM", "0-shot"),
    ("MedVLM-R1", "LLM", "ICL"),
    ("MedVLM-R1", "MCQA", "0-shot"),
    ("MedVLM-R1", "MCQA", "ICL"),
    ("qwen3B", "LLM", "0-shot"),
    ("qwen7B", "LLM", "ICL"),
    ("qwen72B", "LLM", "ICL"),
    ("qwen72B", "EM", "ICL"),
}


# --- package data ------------------------------------------------------------------------------------


def test_tables_ship_as_package_data_with_their_source():
    tables = paper_tables()
    assert set(tables) == {"smmile", "augmented"}
    one, two = tables["smmile"], tables["augmented"]
    assert (one.table, one.dataset_name, one.problems) == ("Table 1", "SMMILE", 111)
    assert (two.table, two.dataset_name, two.problems) == ("Table 2", "SMMILE++", 1038)
    assert "arXiv:2506.21355" in one.source and one.bootstrap_resamples == 1000
    assert len(one.cells) == 116 and len(two.cells) == 96
    # Table 1 omits 0-shot EM (at most 3.65); Table 2 has no Claude; expert ratings have no SD
    assert not any((m, mode) == ("EM", "0-shot") for _, m, mode in one.cells)
    assert one.omission("EM", "0-shot").at_most == 3.65 and two.omission("EM", "0-shot") is None
    assert "claude-3-7-sonnet" in one.models and "claude-3-7-sonnet" not in two.models
    assert all(c.sd is None for c in one.cells.values() if c.metric == "Expert")
    assert paper_table("smmile").cell("qwen72B", "LLM", "ICL").value == 42.59
    package_data = next(
        line for line in (ROOT / "pyproject.toml").read_text().splitlines() if line.startswith("smmile = [")
    )
    assert '"data/paper_tables.json"' in package_data


@pytest.mark.skipif(not SHARED_TABLES.is_file(), reason="the paper's numbers are not available")
def test_package_data_holds_the_papers_numbers_exactly():
    shared = json.loads(SHARED_TABLES.read_text(encoding="utf-8"))
    for number, dataset in (("Table 1", "smmile"), ("Table 2", "augmented")):
        rows = [r for r in shared["tables"] if r["table"] == number]
        cells = paper_table(dataset).cells
        assert len(rows) == len(cells)
        for r in rows:
            c = cells[(r["model"], r["metric"], r["mode"])]
            assert (c.value, c.sd, c.paper_name) == (r["value"], r["plus_minus"], r["paper_name"])
    assert paper_table("smmile").source == shared["source"]


# --- the comparison on the authors' published results --------------------------------------------------


@pytest.fixture(scope="module")
def published_comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("published") / "results"
    shutil.copytree(PUBLISHED, folder)
    done = run_script("compare_paper.py", folder)
    assert done.returncode == 0, done.stderr
    return folder, done.stdout, json.loads((folder / "paper_comparison.json").read_text(encoding="utf-8"))


@needs_published
def test_every_cell_of_table_1_is_compared(published_comparison):
    folder, _, data = published_comparison
    compared = {(c["model"], c["metric"], c["mode"]): c for c in data["cells"] if c["paper"] is not None}
    assert len(compared) == len(TABLE1) == 86
    for model, metric, mode, paper, diff in TABLE1:
        c = compared[(model, metric, mode)]
        assert c["paper"] == paper and c["diff"] == pytest.approx(diff, abs=5e-4), (model, metric, mode)
        assert c["ours"] - c["paper"] == pytest.approx(c["diff"]) and c["n"] == 111
        assert c["answers"] == pytest.approx(c["diff"] * 111 / 100)
        assert c["correct"] == round(c["ours"] * 111 / 100)
    # ours are the authors' own scores: the accuracy in their evaluation files
    for model, metric, mode in [
        ("qwen7B", "LLM", "ICL"),
        ("gpt-4o", "EM", "ICL"),
        ("llava_13b", "LLM", "0-shot"),
    ]:
        suffix = "_open" if model in ("qwen7B", "gpt-4o") else ""
        kind = "evaluationllm" if metric == "LLM" else "evaluation"
        published = json.loads((folder / f"result_{model}_{mode}{suffix}_{kind}.json").read_text())
        assert compared[(model, metric, mode)]["ours"] == pytest.approx(published["accuracy"])


@needs_published
def test_exactly_the_sixteen_cells_beyond_half_a_point_differ(published_comparison):
    _, text, data = published_comparison
    differing = {(c["model"], c["metric"], c["mode"]) for c in data["cells"] if c["status"] == DIFFERS}
    assert differing == DIFFERING
    assert differing == {(m, me, mo) for m, me, mo, _, d in TABLE1 if abs(d) > 0.5}
    summary = data["summary"]
    assert (summary["compared"], summary["agree"], summary["differ"]) == (86, 70, 16)
    # none of them is resampling noise: the paper's mean of 1,000 bootstrap means is within
    # 3 * SD / sqrt(1000) of the observed accuracy of the same answers
    assert summary["differ_explained_by_bootstrap"] == 0
    for c in data["cells"]:
        if c["status"] == DIFFERS:
            assert c["bootstrap_noise"] == pytest.approx(3 * c["paper_sd"] / 1000**0.5)
            assert abs(c["diff"]) > c["bootstrap_noise"] and c["explained"] is False
    assert "16 of 86 cells differ from the paper by more than 0.5 points" in text
    random_llm = next(line for line in text.splitlines() if line.startswith("  Random LLM ICL:"))
    assert "-4.437 points = -4.9 answers (26 of 111 right; the paper's mean is 30.9)" in random_llm
    assert "another run" in random_llm
    # the paper omits 0-shot EM; ours is shown beside its bound, never as compared
    omitted = [c for c in data["cells"] if c["status"] == OMITTED]
    assert len(omitted) == 16 and all(c["mode"] == "0-shot" and c["metric"] == "EM" for c in omitted)
    assert all(c["ours"] <= 3.65 for c in omitted)


@needs_published
def test_the_latex_table_holds_the_papers_rows(published_comparison):
    folder, _, _ = published_comparison
    tex = (folder / "paper_comparison.tex").read_text(encoding="utf-8")
    assert r"Qwen2.5-VL-72B & $29.90 \pm \scriptstyle{4.08}$ & $42.59 \pm \scriptstyle{4.55}$ & - &" in tex
    assert tex.count(r"\\") == 2 + 18 and "0-shot EM (at most 3.65)" in tex  # header rows + 18 models


# --- rules, on values ------------------------------------------------------------------------------


def _cell(acc: float, n: int = 111, **kw) -> OurCell:
    return OurCell(accuracy=acc, std=4.0, n=n, **kw)


def test_cell_statuses():
    t1 = paper_table("smmile")
    tol, z = 0.5, 3.0
    assert compare_cell(t1, "qwen72B", "LLM", "ICL", _cell(42.59), tol, z).status == AGREES
    far = compare_cell(t1, "qwen72B", "LLM", "ICL", _cell(48 / 111 * 100), tol, z)
    assert far.status == DIFFERS and far.explained is False and far.correct == 48
    near = compare_cell(t1, "qwen72B", "LLM", "ICL", _cell(42.59 + 0.4), tol, z)
    assert near.status == AGREES and near.explained is True  # 0.4 <= 3 * 4.55 / sqrt(1000)
    short = compare_cell(t1, "qwen72B", "LLM", "ICL", _cell(50.0, n=100), tol, z)
    assert short.status == INCOMPLETE and "100 of the 111 problems" in short.notes
    errors = compare_cell(t1, "gpt-4o", "MCQA", "ICL", _cell(58.85, errors=3), tol, z)
    assert errors.status == AGREES and "3 error record(s), counted wrong" in errors.notes
    unified = compare_cell(t1, "qwen7B", "MCQA", "ICL", _cell(45.0, protocols=("unified",)), tol, z)
    assert any("not the paper's prompts" in n for n in unified.notes)
    above = compare_cell(t1, "qwen7B", "EM", "0-shot", _cell(5.0), tol, z)
    assert above.status == OMITTED and any("ours is above it" in n for n in above.notes)
    assert compare_cell(t1, "my-model", "LLM", "ICL", _cell(30.0), tol, z).status == NEW
    assert compare_cell(t1, "qwen7B", "LLM", "ICL", None, tol, z).status == NOT_RUN
    assert compare_cell(t1, "my-model", "LLM", "ICL", None, tol, z) is None


def test_new_models_join_the_papers_rows_in_latex():
    t2 = paper_table("augmented")
    ours = {
        ("my_model&v2", "LLM", "ICL"): _cell(40.0, n=1038),
        ("my_model&v2", "MCQA", "0-shot"): _cell(50.0, n=900),
        ("qwen7B", "LLM", "ICL"): _cell(30.0, n=1038),
    }
    comp = compare(t2, ours, COLUMNS, ["majority", "random", "qwen7B", "my_model&v2"])
    assert comp.new_models == ["my_model&v2"]
    tex = combined_latex(comp, t2)
    new_row = next(line for line in tex.splitlines() if line.startswith("my"))
    assert new_row.startswith(r"my\_model\&v2 & - & $40.00 \pm \scriptstyle{4.00}$ &")
    assert r"$50.00 \pm \scriptstyle{4.00}^\dagger$" in new_row  # 900 of 1,038 problems
    assert tex.index(new_row) > tex.index("Qwen2.5-VL-7B &") and "fewer problems" in tex
    text = comparison_text(comp)
    assert "Models not in the paper: my_model&v2" in text
    assert "Paper cells with no result in the folder:" in text
    assert "Claude 3.7 Sonnet |" not in text  # Table 2 has no Claude row


# --- the script ----------------------------------------------------------------------------------------


def _write(folder: Path, name: str, records: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_demo_results_have_no_paper_table(tmp_path):
    _write(tmp_path, "result_qwen7B_ICL_open.jsonl", [record("p1", dataset="smmile-demo")])
    done = run_script("compare_paper.py", tmp_path)
    assert done.returncode == 2 and "bundled demo" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "paper_comparison.txt").exists()


def test_the_table_follows_the_folders_problems(tmp_path):
    _write(tmp_path, "result_qwen7B_ICL_open.jsonl", [record(f"p{i}_perm_1") for i in range(3)])
    done = run_script("compare_paper.py", tmp_path, "--dataset", "smmile")
    assert done.returncode == 2 and "SMMILE++" in done.stderr
    done = run_script("compare_paper.py", tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "paper_comparison.json").read_text())
    assert data["table"] == "Table 2"
    cell = next(c for c in data["cells"] if (c["model"], c["metric"], c["mode"]) == ("qwen7B", "EM", "ICL"))
    assert cell["status"] == INCOMPLETE and cell["n"] == 3


@needs_published
def test_the_report_shows_the_papers_values_beside_the_folders(published_comparison, tmp_path):
    folder, _, _ = published_comparison
    done = run_script("report.py", folder, "-o", tmp_path / "report.html")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = page[page.index('<section id="summary">') : page.index("</section>")]
    assert '<span class="small far">paper 27.9 ± 4.4 ≠</span>' in summary  # Random LLM ICL
    assert '<span class="small">paper 27.3 ± 4.0</span>' in summary  # Majority EM ICL
    assert summary.count(" ≠</span>") == 16 and "Table 1 (SMMILE)" in summary


def test_the_report_of_a_partial_run_marks_no_difference(tmp_path):
    _write(tmp_path, "result_qwen7B_ICL_open.jsonl", [record(f"p{i}") for i in range(3)])
    done = run_script("report.py", tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "paper 22.4 ± 3.8 (ours: 3 of 111)" in page and " ≠</span>" not in page


def test_another_judge_is_named(tmp_path):
    from smmile.analysis.paper_cells import our_cells
    from smmile.results.reader import load_results
    from smmile.results.scores import read_judge_files

    _write(tmp_path, "result_qwen7B_ICL_open.jsonl", [record(f"p{i}") for i in range(3)])
    judge = {"model": "qwen7B", "problem_accuracies": {"p0": 100.0, "p1": 0.0, "p2": 0.0}}
    judge["judge"] = {"backend": "openai", "model": "gpt-4o-mini", "failed_requests": 0}
    (tmp_path / "result_qwen7B_ICL_open_evaluationllm.json").write_text(json.dumps(judge))
    results, _ = load_results(tmp_path)
    cells, notes = our_cells(results, read_judge_files(tmp_path, results), n_boot=50)
    assert not notes and cells[("qwen7B", "LLM", "ICL")].judge == "openai:gpt-4o-mini"
    assert cells[("qwen7B", "EM", "ICL")].judge is None
    c = compare_cell(paper_table("smmile"), "qwen7B", "LLM", "ICL", cells[("qwen7B", "LLM", "ICL")], 0.5, 3.0)
    assert "judged by openai:gpt-4o-mini, the paper by ollama:llama3.3" in c.notes
