"""Helpers the API tests share: run a script against a loopback server, read records, hunt secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from smmile.data import load_dataset_problems, resolve_source
from smmile.prompts import build_prompt, get_profile
from smmile.results.jsonl import read_jsonl
from smmile.runner import shown_problem
from smmile.types import Prompt

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "inference_and_evaluation"
TIMING_FIELDS = {"latency_s", "finished_at", "usage"}
PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_API_VERSION",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
)


def script_env(**extra: str) -> dict[str, str]:
    """The environment without any provider setting of the machine, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_ENV}
    return {**env, **extra}


def run_script(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=180,
        env=env if env is not None else script_env(),
    )


def run_on_demo(script: str, out: Path, *args: str, env: dict[str, str] | None = None):
    """`script` on the bundled demo, writing under `out`/results (the demo's go to results_demo)."""
    return run_script(
        script, "--dataset", "demo", "--output-dir", str(out / "results"), "--no-progress", *args, env=env
    )


def run_openai_on_demo(server, out: Path, *args: str, key: str):
    """inference_openai.py on the demo against `server`'s OpenAI-compatible endpoint, with API key `key`."""
    return run_on_demo(
        "inference_openai.py",
        out,
        "--base-url",
        server.url + "/v1",
        *args,
        env=script_env(OPENAI_API_KEY=key),
    )


def records(path: Path) -> list[dict]:
    return read_jsonl(path).rows


def comparable(rows: list[dict]) -> dict[str, dict]:
    return {r["problem_id"]: {k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in rows}


def demo():
    return load_dataset_problems(resolve_source("demo"))


def demo_prompts(model_id: str, mode: str, task_format: str, protocol: str = "paper") -> list[Prompt]:
    """The prompts a run of `model_id` builds for the demo problems."""
    from smmile.runner import RunConfig

    dataset = demo()
    profile = get_profile(model_id, protocol)
    config = RunConfig(model=model_id, inference_mode=mode, task_format=task_format, output_dir=Path("."))
    out = []
    for problem in dataset.problems:
        shown, _ = shown_problem(problem, config, dataset.problems)
        out.append(build_prompt(shown, mode, task_format, profile, 42, options_problem=problem))
    return out


def files_containing(secret: str, folder: Path) -> list[Path]:
    """Every file under `folder` whose bytes contain `secret`."""
    needle = secret.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]
