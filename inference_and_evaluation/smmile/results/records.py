"""The record-status rule: which records failed, and which record of a problem counts.

A record's `status` is the truth ("ok" or "error"). The authors' published CSVs have no status:
their scripts wrote a failed generation as an answer holding `ERROR`, and the CSV reader turns
that marker into status "error" (`authors_status`), so every reader of records (the store that
resumes, the reader that scores, the judge, the tables) applies this one rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from smmile.types import ResultRecord

ERROR_MARK = "ERROR"  # how the authors' scripts marked a failed generation in the answer


def is_error(record: ResultRecord) -> bool:
    """A failed generation (no answer to score)."""
    return record.status != "ok"


def authors_status(answer: object) -> str:
    """The status of a row of the authors' CSVs, which record a failure as an answer with `ERROR`."""
    return "error" if answer is not None and ERROR_MARK in str(answer) else "ok"


def latest_per_problem(records: Iterable[ResultRecord]) -> dict[str, ResultRecord]:
    """One record per problem: the last one that did not fail, else the last one."""
    chosen: dict[str, ResultRecord] = {}
    for rec in records:
        prev = chosen.get(rec.problem_id)
        if prev is None or not is_error(rec) or is_error(prev):
            chosen[rec.problem_id] = rec
    return chosen


def duplicated_answers(records: Iterable[ResultRecord]) -> list[str]:
    """Problem ids with more than one record that did not fail (true duplicates)."""
    seen: dict[str, int] = {}
    for rec in records:
        if not is_error(rec):
            seen[rec.problem_id] = seen.get(rec.problem_id, 0) + 1
    return [pid for pid, n in seen.items() if n > 1]
