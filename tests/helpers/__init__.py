"""Helpers shared by the tests: running a script as a user does, and building records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from smmile.types import ResultRecord

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "inference_and_evaluation"
# the authors' published results, beside the project when present (tests skip without them);
# SMMILE_PAPER_RESULTS names another copy of the paper_results folder
PAPER_RESULTS = Path(os.environ.get("SMMILE_PAPER_RESULTS") or ROOT.parent / "shared" / "paper_results")
PUBLISHED = PAPER_RESULTS / "results"
MCQA_REPLIES = PAPER_RESULTS / "mcqa_replies_smmile.jsonl"  # the authors' MCQA replies and selections


def run_script(
    script: str, *args: object, env: dict | None = None, timeout: float = 240
) -> subprocess.CompletedProcess:
    """Run `python SCRIPT ARGS` from the scripts' folder and capture its output."""
    return subprocess.run(
        [sys.executable, script, *map(str, args)],
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def run_on_demo(
    script: str, out: Path, *args: object, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`script` on the bundled demo, writing under `out`/results (the demo's go to results_demo)."""
    return run_script(
        script, "--dataset", "demo", "--output-dir", out / "results", "--no-progress", *args, env=env
    )


def record(pid: str, answer: str | None = "yes", truth: str = "yes", **kw) -> dict:
    """An open-format qwen7B ICL record as a JSON object."""
    fields = {
        "final_question": "q?",
        "true_answer": truth,
        "generated_answer": answer,
        "model": "qwen7B",
        "inference_mode": "ICL",
        "task_format": "open",
    }
    return asdict(ResultRecord(pid, **{**fields, **kw}))


def demo_rows() -> list[dict]:
    """The bundled demo's rows, as in its data.jsonl."""
    from smmile.data import DEMO_DIR

    return [json.loads(line) for line in (DEMO_DIR / "data.jsonl").read_text("utf-8").splitlines()]


def demo_copy(folder: Path, change=None) -> Path:
    """The demo as a local JSONL copy with its images; each row passes through `change(i, row)`
    first (a falsy result drops the row)."""
    from smmile.data import DEMO_DIR

    folder.mkdir(parents=True)
    shutil.copytree(DEMO_DIR / "images", folder / "images")
    rows = [change(i, dict(r)) if change else r for i, r in enumerate(demo_rows())]
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows if r), "utf-8")
    return folder
