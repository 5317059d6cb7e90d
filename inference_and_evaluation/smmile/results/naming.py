"""Every file name the harness builds or reads: results, their manifests and scores, the tables
and figures the scripts write, the judge cache, the report.

Results are `result_<model>_<mode>_<format>[.<ablation>][.shard-K-of-N].jsonl`; the authors'
published CSVs follow `result_<model>_<mode>[_<format>].csv` (no format suffix: open format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

_NAME = re.compile(
    r"^result_(?P<model>.+?)_(?P<mode>0-shot|ICL)(?:_(?P<fmt>open|mcqa))?"
    r"(?:\.(?!shard-\d)(?P<ablation>[A-Za-z0-9_+=-]+?))?"
    r"(?:\.shard-(?P<k>\d+)-of-(?P<n>\d+))?"
    r"\.(?P<ext>jsonl|csv)$"
)


@dataclass(frozen=True, order=True)
class ResultKey:
    """What a result is about; a result may be spread over several shard files."""

    model: str
    inference_mode: str
    task_format: str
    ablation: str | None = None

    @property
    def stem(self) -> str:
        base = f"result_{self.model}_{self.inference_mode}_{self.task_format}"
        return f"{base}.{self.ablation}" if self.ablation else base

    def file_name(self, shard: tuple[int, int] | None = None) -> str:
        suffix = f".shard-{shard[0]}-of-{shard[1]}" if shard else ""
        return f"{self.stem}{suffix}.jsonl"

    def manifest_name(self, shard: tuple[int, int] | None = None) -> str:
        return self.file_name(shard).removesuffix(".jsonl") + ".manifest.json"

    @property
    def base(self) -> ResultKey:
        """The plain run an ablation is compared with."""
        return ResultKey(self.model, self.inference_mode, self.task_format)


@dataclass(frozen=True)
class ResultFile:
    path: Path
    key: ResultKey
    shard: tuple[int, int] | None
    kind: str  # "jsonl" or "csv"

    @property
    def output_stem(self) -> str:
        """Stem of the files scored from this result (`<stem>_evaluation.json`).

        A CSV keeps its own stem (so legacy names without `_open` keep theirs); JSONL shards
        share the stem of their result.
        """
        return self.path.stem if self.kind == "csv" else self.key.stem


def parse_result_name(path: str | Path) -> ResultFile | None:
    """The result a file holds, or None when the name is not a result file's."""
    path = Path(path)
    m = _NAME.match(path.name)
    if not m:
        return None
    if m["ext"] == "csv" and (m["ablation"] or m["k"]):
        return None
    key = ResultKey(m["model"], m["mode"], m["fmt"] or "open", m["ablation"])
    shard = (int(m["k"]), int(m["n"])) if m["k"] is not None else None
    if shard and not 0 <= shard[0] < shard[1]:
        return None
    return ResultFile(path=path, key=key, shard=shard, kind=m["ext"])


def looks_like_result(path: str | Path) -> bool:
    """A file that is meant to be a result (its name starts so) whether or not the name parses."""
    name = Path(path).name
    return name.startswith("result_") and name.endswith((".jsonl", ".csv"))


def lock_path(path: Path) -> Path:
    """The lock file of `path` (`.<name>.lock` beside it): one writer at a time."""
    return path.with_name(f".{path.name}.lock")


def replaced_suffix(stamp: str, n: int = 1) -> str:
    """The suffix a file set aside by `--no-resume` (or `--rebuild-cache`) gets: `.replaced-<time>[-n]`."""
    return f".replaced-{stamp}" + (f"-{n}" if n > 1 else "")


# --- the scores of a result: `<output stem><suffix>` -------------------------------------------

EM_SUFFIX = "_evaluation.json"  # exact match (open) or option accuracy (MCQA)
STRICT_SUFFIX = "_evaluation_strict.json"  # exact match on the raw strings
JUDGE_SUFFIX = "_evaluationllm.json"  # the LLM judge
EVALUATION_SUFFIXES = (EM_SUFFIX, STRICT_SUFFIX, JUDGE_SUFFIX)


def evaluation_name(output_stem: str, suffix: str) -> str:
    """The evaluation file of a result (`ResultFile.output_stem`) under one of the suffixes."""
    return f"{output_stem}{suffix}"


def parse_evaluation_name(path: str | Path) -> tuple[str, ResultKey, str] | None:
    """(output stem, result key, suffix) of an evaluation file's name, or None."""
    name = Path(path).name
    for suffix in EVALUATION_SUFFIXES:
        if name.endswith(suffix):
            stem = name.removesuffix(suffix)
            parsed = parse_result_name(f"{stem}.jsonl")
            return (stem, parsed.key, suffix) if parsed is not None else None
    return None


# --- what the scripts write into a results folder ----------------------------------------------

JUDGE_CACHE = "judge_cache.sqlite"
REPORT = "report.html"
LATEX_TABLE = "latex_table.tex"  # variance_analysis.py --generate_table, unless --latex_output
MODEL_COMPARISON = "model_comparison.txt"
MODEL_COMPARISON_STRICT = "model_comparison_strict.txt"
MODEL_COMPARISON_LLM = "model_comparison_llm.txt"


@dataclass(frozen=True)
class TableFiles:
    """A table written in several formats: `<stem>.txt`, `<stem>.json`, `<stem>.tex`."""

    stem: str

    def name(self, ext: Literal["txt", "json", "tex"]) -> str:
        return f"{self.stem}.{ext}"

    @property
    def txt(self) -> str:
        return self.name("txt")

    @property
    def json(self) -> str:
        return self.name("json")

    @property
    def tex(self) -> str:
        return self.name("tex")


EVALUATION_RESULTS = TableFiles("evaluation_results")
ICL_GAIN = TableFiles("icl_gain")
ABLATIONS = TableFiles("ablations")
PAPER_COMPARISON = TableFiles("paper_comparison")


def stratification_name(eval_type: str) -> str:
    """stratify.py's table: `model_stratification_<em|llm|mcqa>.json`."""
    return f"model_stratification_{eval_type}.json"


# --- figures: `<figures dir>/<results folder name>_<what>.{png,pdf}` ---------------------------

ACCURACY_FIGURE = "accuracy_per_model_0shot_vs_ICL"
GAIN_FIGURE = "icl_gain_forest"


def heatmap_name(eval_type: str) -> str:
    return f"stratification_{eval_type}_heatmap"


def figure_stem(figures_dir: str | Path, results_dir: str | Path, what: str) -> Path:
    """`<figures_dir>/<results folder name>_<what>`: results of SMMILE and SMMILE++ do not collide."""
    name = Path(results_dir).resolve().name or "results"
    return Path(figures_dir) / f"{name}_{what}"
