"""`--help` of every script is accurate: it runs, shows each default once (none on an on/off
switch such as --no-resume), and a flag shared by several scripts means the same in each."""

from __future__ import annotations

import argparse
import importlib
import re
from collections import defaultdict

import pytest
from helpers import SCRIPTS
from helpers import run_script as run_subprocess

ALL_SCRIPTS = sorted(p.stem for p in SCRIPTS.glob("*.py") if p.stem != "utils")
INFERENCE = [s for s in ALL_SCRIPTS if s.startswith("inference_")]
SETUP = ["prepare_data"]  # its --dataset takes several, its --timeout is per image
ANALYSIS = [s for s in ALL_SCRIPTS if not s.startswith("inference_") and s not in SETUP]

# Flags whose help differs between scripts of a group by design, and why.
PER_SCRIPT = {
    "inference": {
        "--model": "the model each provider calls (or the hub id of inference_hf.py)",
        "--models": "each family's own models",
        "--model_name": "each family's own models",
        "--model-name": "each family's own models",
        "--name": "each script derives the default result id from its own --model",
        "--base-url": "the server of each script's API (OpenAI-compatible, or Anthropic's)",
        "--protocol": "inference_hf.py defaults to unified (paper with --profile)",
        "--task_format": "the authors' *_mcqa.py names default to mcqa",
        "--task-format": "the authors' *_mcqa.py names default to mcqa",
    },
    "analysis": {
        "--model": "the verb: score / judge / stratify / show only this model",
        "--inference-mode": "the verb: score / judge / stratify / show only this mode",
        "--inference_mode": "the verb: score / judge / stratify / show only this mode",
        "--dataset": "what each script reads from the dataset",
        "--figures-dir": "which figures each script draws",
        "--figures_dir": "which figures each script draws",
        "--strict-match": "evaluate_EM.py scores on raw strings; variance_analysis.py shows them beside EM",
        "--strict_match": "evaluate_EM.py scores on raw strings; variance_analysis.py shows them beside EM",
        "--mean-only": "what a cell holds: one accuracy, or the paper's value and ours",
        "--mean_only": "what a cell holds: one accuracy, or the paper's value and ours",
    },
}


class _Parsed(Exception):
    pass


def _grab(self, *args, **kwargs):
    raise _Parsed(self)


@pytest.fixture(scope="module")
def parsers() -> dict[str, argparse.ArgumentParser]:
    """Each script's parser, as its main() builds it (parse_args stopped before anything runs)."""
    found = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(argparse.ArgumentParser, "parse_args", _grab)
        mp.setattr(argparse.ArgumentParser, "parse_known_args", _grab)
        for name in ALL_SCRIPTS:
            try:
                importlib.import_module(name).main([])
            except _Parsed as parsed:
                found[name] = parsed.args[0]
    assert sorted(found) == ALL_SCRIPTS
    return found


def help_entries(text: str) -> dict[str, str]:
    """The help of each option, continuation lines joined: {'--no-resume, --no_resume': '...'}."""
    entries: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^  (-{1,2}\S.*?)(?:\s{2,}(.*))?$", line)
        if match and not line.startswith("   "):
            current = match.group(1)
            entries[current] = match.group(2) or ""
        elif current is not None and line.startswith("      "):
            entries[current] += " " + line.strip()
        else:
            current = None
    return entries


@pytest.mark.parametrize("script", ALL_SCRIPTS)
def test_help_shows_each_default_once_and_none_on_switches(script, parsers):
    parser = parsers[script]
    entries = help_entries(parser.format_help())
    assert entries
    for flags, help_text in entries.items():
        assert not re.search(r"\(default: (True|False|None)\)", help_text), (script, flags, help_text)
        assert help_text.count("(default:") <= 1, (script, flags, help_text)
    for action in parser._actions:
        if not action.option_strings or action.help is None:
            continue
        shown = entries[next(f for f in entries if action.option_strings[0] in f.split(", ")[0].split())]
        switch = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
        if switch or "default" in action.help.lower():  # the flag's name or its own words say it
            assert "(default: " not in shown.replace(action.help, ""), (script, action.option_strings, shown)


@pytest.mark.parametrize("group", ["inference", "analysis"])
def test_a_shared_flag_means_the_same_in_every_script(group, parsers):
    scripts = INFERENCE if group == "inference" else ANALYSIS
    seen: dict[str, dict[tuple, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in scripts:
        for action in parsers[name]._actions:
            for flag in action.option_strings:
                seen[flag][(action.dest, repr(action.default), action.help)].append(name)
    differing = {flag: dict(v) for flag, v in seen.items() if len(v) > 1 and flag not in PER_SCRIPT[group]}
    assert not differing
    for flag in PER_SCRIPT[group]:
        assert flag in seen, f"{flag} is listed as per-script but no {group} script has it"


def test_the_no_switches_read_as_switches(parsers):
    """The issue's examples: --no-resume, --no-progress, --no-figures without '(default: True)'."""
    text = parsers["inference_qwen"].format_help() + parsers["variance_analysis"].format_help()
    for flag in ("--no-resume", "--no-progress", "--no-figures"):
        assert flag in text
    assert "(default: True)" not in text and "(default: False)" not in text


@pytest.mark.parametrize(
    "script", ["inference_hf.py", "inference_llava_mcqa.py", "inference_llama33textonly_mcqa.py"]
)
def test_help_runs_as_users_run_it(script):
    proc = run_subprocess(script, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: {script}")
