"""Helpers shared by the tests: running a script as a user does, and building records."""

from __future__ import annotations

import os
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
