"""The light set-up: the demo, and every scoring and analysis script, run without torch or transformers.

Each check runs in a fresh interpreter whose import system refuses the packages a lighter
requirements file leaves out (a sys.meta_path blocker), so a module-level `import torch` anywhere
on these paths fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PUBLISHED, ROOT, SCRIPTS

# distribution name (as pinned) -> the top-level module it installs
IMPORT_NAMES = {
    "torch": "torch",
    "torchvision": "torchvision",
    "transformers": "transformers",
    "tokenizers": "tokenizers",
    "accelerate": "accelerate",
    "safetensors": "safetensors",
    "anthropic": "anthropic",
    "datasets": "datasets",
    "huggingface-hub": "huggingface_hub",
    "pyarrow": "pyarrow",
    "pandas": "pandas",
    "httpx": "httpx",
    "openai": "openai",
    "ollama": "ollama",
    "numpy": "numpy",
    "pillow": "PIL",
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
    "jinja2": "jinja2",
    "markupsafe": "markupsafe",
    "pytest": "pytest",
    "pytest-timeout": "pytest_timeout",
    "hypothesis": "hypothesis",
    "ruff": "ruff",
}
SCORING_SCRIPTS = (
    "evaluate_EM",
    "evaluate_LLMJudge",
    "variance_analysis",
    "stratify",
    "report",
    "compare_paper",
    "inference_baselines",
    "prepare_data",
)

PROGRAM = """
import importlib, json, os, sys

BLOCKED = set(json.loads(sys.argv[1]))


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the light set)", name=name)
        return None


sys.meta_path.insert(0, Blocker())
sys.path.insert(0, os.getcwd())
for script in json.loads(sys.argv[2]):
    importlib.import_module(script)
for script, argv in json.loads(sys.argv[3]):
    module = importlib.import_module(script)
    code = module.main(argv)
    if code:
        sys.exit(f"{script} {' '.join(argv)} exited {code}")
for name in BLOCKED:
    assert name not in sys.modules, name
print("light run ok")
"""


def requirements(name: str) -> dict[str, str]:
    """{distribution: version} of a requirements file, the files it includes (-r) too."""
    pins: dict[str, str] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins.update(requirements(line[3:].strip()))
        elif line:
            dist, _, version = line.partition("==")
            assert version, f"{name}: {line} is not pinned"
            pins[dist.strip().lower()] = version.strip()
    return pins


def blocked_outside(name: str) -> list[str]:
    """The modules of every pinned package that `name` does not install."""
    everything = requirements("requirements-dev.txt")
    unknown = set(everything) - set(IMPORT_NAMES)
    assert not unknown, f"add the module names of {sorted(unknown)} to IMPORT_NAMES"
    return sorted(IMPORT_NAMES[d] for d in set(everything) - set(requirements(name)))


def run_light(blocked: list[str], imports: list[str], calls: list[tuple[str, list[str]]]):
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(blocked), json.dumps(imports), json.dumps(calls)],
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_each_set_holds_the_lighter_ones_and_only_the_full_one_has_torch():
    demo, evaluation = requirements("requirements-demo.txt"), requirements("requirements-eval.txt")
    full, dev = requirements("requirements.txt"), requirements("requirements-dev.txt")
    assert demo.items() <= evaluation.items() <= full.items() <= dev.items()
    assert {"torch", "torchvision", "transformers", "accelerate"} <= set(full) - set(evaluation)
    assert set(demo) == {"numpy", "pillow", "matplotlib", "tqdm", "jinja2", "markupsafe"}
    # the Makefile installs the demo's set for `make demo` and everything for `make test`
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "demo: $(DEMO_STAMP)" in makefile and "test: $(STAMP)" in makefile
    assert "-r requirements-demo.txt" in makefile
    assert "touch $(DEMO_STAMP) $(STAMP)" in makefile  # after `make test`, `make demo` installs nothing


def demo_calls(out: Path) -> list[tuple[str, list[str]]]:
    """The `make demo` recipe's script calls, writing into `out` instead of the checkout."""
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert recipe, "no demo target in the Makefile"
    calls = []
    for line in recipe.group(1).splitlines():
        line = line.strip()
        if not line.startswith("$(RUN) "):
            continue
        line = line.removeprefix("$(RUN) ").replace("$(DEMO_OUT)", str(out / "results_demo"))
        line = line.replace("../results", str(out / "results")).replace("../figures", str(out / "figures"))
        script, *argv = line.split()
        calls.append((script.removesuffix(".py"), argv))
    assert len(calls) >= 8
    return calls


@pytest.mark.slow
def test_make_demo_runs_with_the_demo_set_alone(tmp_path):
    calls = demo_calls(tmp_path)
    done = run_light(blocked_outside("requirements-demo.txt"), [], calls)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "light run ok" in done.stdout
    demo = tmp_path / "results_demo"
    for name in ("evaluation_results.json", "latex_table.tex", "icl_gain.json", "report.html"):
        assert (demo / name).is_file(), name
    assert list((tmp_path / "figures").glob("*.png"))


@pytest.mark.slow
def test_every_scoring_and_analysis_script_runs_without_torch(tmp_path):
    blocked = blocked_outside("requirements-eval.txt")
    assert {"torch", "transformers", "torchvision", "accelerate"} <= set(blocked)
    calls = [
        (s, a + ["--output-dir", str(tmp_path / "results")])
        for s, a in [
            ("inference_baselines", ["--dataset", "demo", "--baseline", "all", "--task_format", "open"]),
            ("inference_baselines", ["--dataset", "demo", "--baseline", "all", "--task_format", "mcqa"]),
        ]
    ]
    demo = str(tmp_path / "results_demo")
    calls += [
        ("evaluate_EM", [demo]),
        ("variance_analysis", [demo, "--generate_table", "--no-figures"]),
        ("stratify", [demo, "--eval_type", "em", "--no-figures"]),
        ("report", [demo]),
    ]
    if PUBLISHED.is_dir():
        published = tmp_path / "published"
        shutil.copytree(PUBLISHED, published)
        calls += [
            ("evaluate_LLMJudge", [str(published), "--visualize-only"]),
            ("compare_paper", [str(published)]),
        ]
    done = run_light(blocked, list(SCORING_SCRIPTS), calls)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "light run ok" in done.stdout
    assert (tmp_path / "results_demo" / "report.html").is_file()
    if PUBLISHED.is_dir():
        assert "16 of 86 cells differ" in (tmp_path / "published" / "paper_comparison.txt").read_text()


def test_the_blocker_catches_a_heavy_import():
    """The check above can fail: a script that imports torch is refused."""
    done = run_light(["torch"], [], [])
    assert done.returncode == 0
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROGRAM.replace("for script in", "import torch\nfor script in"),
            '["torch"]',
            "[]",
            "[]",
        ],
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "not in the light set" in done.stderr
