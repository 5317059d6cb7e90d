"""Scoring rules: answer normalisation, exact match, MCQA correctness, the per-result EM JSON."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from smmile.prompts.extract import EXTRACTION_FAILED, INVALID_PREFIX
from smmile.results.outputs import Evaluation
from smmile.results.records import is_error
from smmile.types import ResultRecord

if TYPE_CHECKING:
    from smmile.results.reader import Result

METRICS = ("EM", "MCQA")
MISSING = "nan"  # what the authors' pandas code turned an empty answer into
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def as_text(value: object) -> str:
    """The answer as a string; a missing one reads as `nan`."""
    return MISSING if value is None else str(value)


def normalize(text: object) -> str:
    """Lower-case, delete every character of string.punctuation, collapse whitespace, strip."""
    return " ".join(as_text(text).lower().translate(_PUNCTUATION).split())


def exact_match(pred: object, truth: object, strict: bool = False) -> bool:
    """Flexible match on normalised strings; strict compares the raw strings."""
    if strict:
        return as_text(pred) == as_text(truth)
    return normalize(pred) == normalize(truth)


def metric_for(task_format: str) -> str:
    return "MCQA" if task_format == "mcqa" else "EM"


def record_correct(record: ResultRecord, metric: str = "EM", strict: bool = False) -> bool:
    """Whether one record is right under `metric` ("EM" or "MCQA"); error records are wrong."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    if is_error(record):
        return False
    if metric == "EM":
        return exact_match(record.generated_answer, record.true_answer, strict=strict)
    if record.is_correct is not None:
        return bool(record.is_correct)
    return record.selected_option is not None and record.selected_option == record.correct_option


def unreadable_counts(records: Sequence[ResultRecord]) -> dict[str, int]:
    """MCQA replies no option could be read from: `EXTRACTION_FAILED` and `INVALID_OPTION:<x>`."""
    options = [r.selected_option or "" for r in records if not is_error(r)]
    failed = sum(o == EXTRACTION_FAILED for o in options)
    invalid = sum(o.startswith(INVALID_PREFIX) for o in options)
    return {
        "unreadable_count": failed + invalid,
        "extraction_failed_count": failed,
        "invalid_option_count": invalid,
    }


def word_count(record: ResultRecord) -> int:
    return len(as_text(record.generated_answer).split())


def evaluation_json(
    result: Result, verdicts: list[bool], metric: str, after_excluded: dict[str, Any] | None = None
) -> Evaluation:
    """The per-result evaluation JSON of PROTOCOL.md (`outputs.Evaluation`) from one verdict per
    record, plus the metric.

    `after_excluded` holds keys placed after `excluded_count` (the judge's `llm_err_count`).
    """
    if result.key is None or not result.records:
        raise ValueError("a result without records cannot be scored")
    records = result.records
    original = max(result.original_count, len(records))
    correct = sum(verdicts)
    out: dict[str, Any] = {
        "model": result.key.model,
        "inference_mode": result.key.inference_mode,
        "total_examples": len(records),
        "original_count": original,
        "excluded_count": original - len(records),
        **(after_excluded or {}),
        "correct_examples": correct,
        "accuracy": correct / len(records) * 100,
        "err_count": sum(is_error(r) for r in records),
        "problem_accuracies": {
            r.problem_id: 100.0 if ok else 0.0 for r, ok in zip(records, verdicts, strict=True)
        },
        "incorrect_examples": [r.problem_id for r, ok in zip(records, verdicts, strict=True) if not ok],
        "word_count": sum(word_count(r) for r in records) / len(records),
        "metric": metric,
    }
    if result.key.ablation:
        out["ablation"] = result.key.ablation
    return cast(Evaluation, out)


def evaluate_result(result: Result, strict: bool = False) -> Evaluation:
    """Exact match (open) or option accuracy (MCQA) of one result, as its evaluation JSON."""
    if result.key is None or not result.records:
        raise ValueError("a result without records cannot be scored")
    metric = metric_for(result.key.task_format)
    out = evaluation_json(result, [record_correct(r, metric, strict=strict) for r in result.records], metric)
    if metric == "EM":
        out["strict_match"] = strict
    else:
        out.update(unreadable_counts(result.records))
    return out
