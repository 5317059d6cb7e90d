"""The evaluation files scoring writes beside (or apart from) a result, read back.

`<stem>_evaluation.json` (exact match / MCQA), `<stem>_evaluation_strict.json` (exact match on
the raw strings) and `<stem>_evaluationllm.json` (the judge), where `<stem>` is the result's
output stem (the names are `naming`'s). The comparison tables are built from these files, so
re-scoring some results updates only their rows; an evaluation whose result file is gone (a
published score without its model outputs) is found here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smmile.results.naming import EM_SUFFIX, JUDGE_SUFFIX, STRICT_SUFFIX, ResultKey, parse_evaluation_name

REQUIRED = (
    "model",
    "inference_mode",
    "accuracy",
    "total_examples",
    "excluded_count",
    "err_count",
    "word_count",
)
METRIC_OF = {EM_SUFFIX: None, STRICT_SUFFIX: "EM", JUDGE_SUFFIX: "LLM"}  # None: from the key's format


@dataclass(frozen=True)
class SavedEvaluation:
    """One evaluation file: where it is, the result it scores, and its contents."""

    path: Path
    stem: str
    key: ResultKey
    suffix: str
    data: dict[str, Any]


def read_evaluations(
    folder: str | Path,
    suffix: str,
    models: Sequence[str] | None = None,
    inference_mode: str | None = None,
    skip_stems: Iterable[str] = (),
) -> tuple[list[SavedEvaluation], list[str]]:
    """The `*<suffix>` files of `folder` (those of the filters, none of `skip_stems`), and one
    line per unusable one."""
    skip = set(skip_stems)
    found: list[SavedEvaluation] = []
    notes: list[str] = []
    for path in sorted(Path(folder).glob(f"result_*{suffix}")):
        parsed = parse_evaluation_name(path)
        if parsed is None or parsed[2] != suffix:
            continue
        stem, key, _ = parsed
        if stem in skip:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            notes.append(f"error: {path}: not a readable evaluation ({exc}); skipped")
            continue
        missing = [k for k in REQUIRED if not isinstance(data, dict) or k not in data]
        if missing:
            notes.append(f"error: {path}: missing {', '.join(missing)}; skipped")
            continue
        if (models and data["model"] not in models) or inference_mode not in (None, data["inference_mode"]):
            continue
        data.setdefault("metric", METRIC_OF[suffix] or ("MCQA" if key.task_format == "mcqa" else "EM"))
        found.append(SavedEvaluation(path, stem, key, suffix, data))
    return found, notes


def merged(new: Mapping[str, Mapping[str, Any]], saved: Iterable[SavedEvaluation]) -> list[Mapping[str, Any]]:
    """The evaluations `new` (by output stem) and the saved ones of every other stem."""
    return [*new.values(), *(s.data for s in saved if s.stem not in new)]


def without_result(saved: Iterable[SavedEvaluation], result_stems: Iterable[str]) -> list[SavedEvaluation]:
    """The saved evaluations whose result file is not in the folder (published scores alone)."""
    stems = set(result_stems)
    return [s for s in saved if s.stem not in stems]
