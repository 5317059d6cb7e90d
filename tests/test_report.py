"""report.py: one static HTML page, browsable offline, rendered in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from helpers import PUBLISHED, run_script
from PIL import Image

from smmile.data import load_dataset_problems, resolve_source
from smmile.data.problems import context_facts as context_metadata
from smmile.present.report.answers import build_views
from smmile.results.reader import load_results
from smmile.results.scores import read_judge_files
from smmile.types import Problem, ResultRecord

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary: install Debian's chromium package (.ci/run does)"
)
XSS = "<script>alert(1)</script>"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return load_dataset_problems(resolve_source("demo"), fetch_missing=False).problems


def record(p: Problem, model: str, mode: str, fmt: str, right: bool, **kw) -> dict:
    shown = p if mode == "ICL" else Problem(p.problem_id, (), p.query, p.metadata, p.dataset)
    fields = dict(
        final_question=p.query.question,
        true_answer=p.query.answer,
        generated_answer=p.query.answer if right else "Something else.",
        model=model,
        inference_mode=mode,
        task_format=fmt,
        dataset="smmile-demo",
        examples_seen=[t.order for t in shown.examples],
        metadata=context_metadata(shown),
    )
    if fmt == "mcqa":
        answers = list(dict.fromkeys([t.answer for t in p.triplets]))
        options = {chr(65 + i): a for i, a in enumerate(answers)}
        correct = chr(65 + answers.index(p.query.answer))
        chosen = correct if right else next((k for k in options if k != correct), "EXTRACTION_FAILED")
        fields.update(
            options=options,
            correct_option=correct,
            selected_option=chosen,
            generated_answer=options.get(chosen),
            is_correct=chosen == correct,
            full_response=f"<answer>{chosen}</answer>",
        )
    return asdict(ResultRecord(p.problem_id, **{**fields, **kw}))


def write(folder: Path, name: str, rows: list[dict]) -> None:
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path, problems: list[Problem]) -> Path:
    """qwen7B: open 0-shot (one error) and ICL (with judge verdicts), MCQA ICL; majority ICL open."""
    out = tmp_path / "results_demo"
    out.mkdir()
    zero = [record(p, "qwen7B", "0-shot", "open", i % 3 == 0) for i, p in enumerate(problems)]
    zero[1].update(status="error", error="CUDA out of memory", generated_answer=None)
    write(out, "result_qwen7B_0-shot_open.jsonl", zero)
    icl = [record(p, "qwen7B", "ICL", "open", i % 2 == 0) for i, p in enumerate(problems)]
    icl[2]["generated_answer"] = XSS
    write(out, "result_qwen7B_ICL_open.jsonl", icl)
    write(out, "result_qwen7B_ICL_mcqa.jsonl", [record(p, "qwen7B", "ICL", "mcqa", True) for p in problems])
    write(
        out,
        "result_majority_ICL_open.jsonl",
        [record(p, "majority", "ICL", "open", False) for p in problems[:5]],
    )
    verdicts = {p.problem_id: 100.0 if i < 4 else 0.0 for i, p in enumerate(problems)}
    (out / "result_qwen7B_ICL_open_evaluationllm.json").write_text(
        json.dumps({"problem_accuracies": verdicts}), encoding="utf-8"
    )
    return out


def stderr_lines(proc) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def test_views_hold_every_answer_and_verdict(folder, problems):
    results, _ = load_results(folder)
    views, notes = build_views(
        results, read_judge_files(folder, results), {p.problem_id: p for p in problems}
    )
    assert notes == []
    assert [v.problem_id for v in views] == sorted(p.problem_id for p in problems)
    first = next(v for v in views if v.problem_id == problems[0].problem_id)
    labels = [(a.model, a.mode, a.task_format) for a in first.answers]
    assert labels == [
        ("majority", "ICL", "open"),
        ("qwen7B", "0-shot", "open"),
        ("qwen7B", "ICL", "open"),
        ("qwen7B", "ICL", "mcqa"),
    ]
    by = {(a.model, a.mode, a.task_format): a for a in first.answers}
    assert by[("qwen7B", "ICL", "open")].em is True and by[("qwen7B", "ICL", "open")].judge is True
    assert by[("qwen7B", "ICL", "mcqa")].mcqa is True and by[("qwen7B", "ICL", "mcqa")].em is None
    assert by[("qwen7B", "0-shot", "open")].judge is None  # no judge file for it
    assert first.problem is not None and first.flags["speciality"] == problems[0].metadata["speciality"]
    assert "flag_num_ICL" not in first.flags  # per-run facts are not problem filters


def test_report_is_self_contained(folder, problems):
    proc = run_script("report.py", folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # the demo's results find the demo dataset themselves
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert f'data-total="{len(problems)}"' in page
    assert page.count('<article class="problem"') == len(problems)
    # nothing from outside: no remote URL in src/href, no stylesheet or script files, no web fonts
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert (
        "<link" not in page
        and "<script src" not in page
        and "@import" not in page
        and "@font-face" not in page
    )
    # every image the page uses lies in the images folder beside it
    images = set(re.findall(r'(?:src|href)="(report_images/[^"]+)"', page))
    assert images and all((folder / name).is_file() for name in images)
    n_images = len({t.image.sha256 for p in problems for t in p.triplets if t.image})
    assert len([n for n in images if n.endswith("_thumb.jpg")]) == n_images
    # answers are text, never markup
    assert XSS not in page and html_escaped(XSS) in page
    assert "error: CUDA out of memory" in page
    assert "Report of 12 problem(s) from 4 result(s)" in proc.stdout


def html_escaped(text: str) -> str:
    import html

    return html.escape(text)


def test_inline_images_and_no_dataset(folder, tmp_path, problems):
    out = tmp_path / "one.html"
    proc = run_script("report.py", folder, "-o", out, "--inline-images")
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count('src="data:image/jpeg;base64,') >= len(problems)
    assert not (tmp_path / "one_images").exists()
    # results that do not name the demo: no dataset, so answers only and one warning line
    for name in list(folder.glob("result_*.jsonl")):
        rows = [json.loads(line) for line in name.read_text(encoding="utf-8").splitlines()]
        write(folder, name.name, [{**r, "dataset": "smmile/SMMILE"} for r in rows])
    proc = run_script("report.py", folder, "-o", tmp_path / "bare.html")
    assert proc.returncode == 0, proc.stderr
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "--dataset" in lines[0]
    bare = (tmp_path / "bare.html").read_text(encoding="utf-8")
    assert "Examples and images not available" in bare and "<img" not in bare
    assert f'data-total="{len(problems)}"' in bare


@pytest.mark.parametrize(
    "setup, expected", [("empty", "no result files"), ("mixed", "mixes SMMILE++ and demo results")]
)
def test_bad_input_is_one_clear_line(tmp_path, problems, setup, expected):
    if setup == "mixed":
        write(tmp_path, "result_qwen7B_ICL_open.jsonl", [record(problems[0], "qwen7B", "ICL", "open", True)])
        other = record(problems[1], "qwen3B", "ICL", "open", True)
        other["problem_id"] += "_perm_2"
        write(tmp_path, "result_qwen3B_ICL_open.jsonl", [other])
    proc = run_script("report.py", tmp_path)
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert not (tmp_path / "report.html").exists()


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")
def test_published_results_without_the_dataset(tmp_path):
    folder = tmp_path / "results"
    shutil.copytree(PUBLISHED, folder)
    proc = run_script("report.py", folder)
    assert proc.returncode == 0, proc.stderr
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'data-total="111"' in page and page.count('<article class="problem"') == 111
    assert "Qwen2.5-VL-72B" in page and "judge" in page


# --- headless Chromium ----------------------------------------------------------------------------


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def shown_count(dom: str) -> tuple[int, int]:
    m = re.search(r'<p id="count" data-total="(\d+)" data-shown="(\d+)"', dom)
    assert m, "the page's script did not fill the problem count"
    return int(m[1]), int(m[2])


@needs_chromium
def test_chromium_renders_the_report(folder, tmp_path, problems):
    assert run_script("report.py", folder).returncode == 0
    url = (folder / "report.html").as_uri()
    shot = tmp_path / "report.png"
    proc = chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file(), proc.stderr[-2000:]
    with Image.open(shot) as img:
        assert img.size == (1280, 2000)
        pixels = np.asarray(img.convert("L"), dtype=float)
    assert pixels.std() > 20  # text, tables and images, not a blank page
    assert (pixels < 100).mean() > 0.01  # some dark ink (text, image pixels)

    dom = chromium(tmp_path, url, "--dump-dom").stdout
    assert shown_count(dom) == (len(problems), len(problems))
    body = re.search(r'<body data-images-loaded="(\d+)" data-images-broken="(\d+)"', dom)
    assert body and int(body[1]) > 0 and int(body[2]) == 0

    # the filters, set from the page's address as a shared link would
    radiology = sum(p.metadata["speciality"] == "radiology" for p in problems)
    assert shown_count(chromium(tmp_path, url + "#speciality=radiology", "--dump-dom").stdout)[1] == radiology
    assert shown_count(chromium(tmp_path, url + "#model=majority", "--dump-dom").stdout)[1] == 5
    assert shown_count(chromium(tmp_path, url + "#model=majority&speciality=radiology", "--dump-dom").stdout)[
        1
    ] == sum(p.metadata["speciality"] == "radiology" for p in problems[:5])
    x_ray = sum(p.metadata["flag_image_type"] == "X-Ray" for p in problems)
    assert (
        x_ray
        and shown_count(chromium(tmp_path, url + "#flag=flag_image_type%3DX-Ray", "--dump-dom").stdout)[1]
        == x_ray
    )
    assert shown_count(chromium(tmp_path, url + "#outcome=judge-right", "--dump-dom").stdout)[1] == 4
    assert shown_count(chromium(tmp_path, url + "#outcome=error", "--dump-dom").stdout)[1] == 1
