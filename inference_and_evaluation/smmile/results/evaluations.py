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

from smmile.errors import FileProblem
from smmile.results.naming import (
    EM_SUFFIX,
    JUDGE_SUFFIX,
    STRICT_SUFFIX,
    ResultKey,
    parse_evaluation_name,
)

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
VERDICTS = {100.0: 1, 0.0: 0}


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


# --- the judge's evaluation of one result ---------------------------------------------------


def is_complete(evaluation: Mapping[str, Any]) -> bool:
    """Whether a judge evaluation holds a score (the published ones carry no `complete` key)."""
    return evaluation.get("complete", True) is not False and evaluation.get("accuracy") is not None


def incomplete_reason(evaluation: Mapping[str, Any]) -> str:
    """What an incomplete judge evaluation lacks, in words (with its first error)."""
    total = evaluation.get("total_examples", "?")
    return (
        f"judge incomplete: {evaluation.get('unjudged_count', '?')} of {total} record(s) unjudged "
        f"(first error: {evaluation.get('first_error') or 'unknown'})"
    )


def read_judge_data(path: Path) -> Any:
    """A judge file's JSON; a FileProblem when it is not UTF-8 or not JSON (an OSError as raised)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FileProblem(path, "not UTF-8") from None
    except ValueError as exc:
        raise FileProblem(path, f"not valid JSON ({exc})") from None


def judge_verdicts(path: Path, data: Any) -> dict[str, int]:
    """Per-problem 0/1 verdicts from a judge file's problem_accuracies (100.0 / 0.0).

    An incomplete judge file (unjudged records) is a FileProblem: it holds no score.
    """
    if isinstance(data, dict) and not is_complete(data) and "judged_accuracies" in data:
        raise FileProblem(path, incomplete_reason(data) + "; re-run evaluate_LLMJudge.py to judge them")
    return accuracy_verdicts(path, data)


def accuracy_verdicts(path: Path, data: Any) -> dict[str, int]:
    """Per-problem 0/1 verdicts from an evaluation's problem_accuracies (100.0 / 0.0)."""
    accuracies = data.get("problem_accuracies") if isinstance(data, dict) else None
    if not isinstance(accuracies, dict) or not accuracies:
        raise FileProblem(path, "no problem_accuracies")
    verdicts = {}
    for pid, value in accuracies.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) not in VERDICTS:
            raise FileProblem(path, f"problem_accuracies[{pid!r}] is {value!r}, expected 100.0 or 0.0")
        verdicts[pid] = VERDICTS[float(value)]
    return verdicts


def judge_name(data: Any) -> str | None:
    """`backend:model` of the judge a judge file's JSON names (the authors' files name none)."""
    judge = data.get("judge") if isinstance(data, dict) else None
    if not isinstance(judge, dict) or not judge.get("model"):
        return None
    return f"{judge.get('backend') or '?'}:{judge['model']}"
