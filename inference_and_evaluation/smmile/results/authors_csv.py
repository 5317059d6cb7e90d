"""The authors' published CSVs: one row per problem, read as records.

Their columns are ResultRecord's names, except MedVLM-R1's MCQA file, which spells four its own
way (`COLUMN_ALIASES`). A failed generation is an answer holding `ERROR` (`records.authors_status`);
an empty cell reads as None (scored as `nan`, as the authors' pandas read it).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

from smmile.errors import FileProblem
from smmile.results.naming import ResultKey
from smmile.results.records import authors_status
from smmile.results.schema import check_fields
from smmile.types import ResultRecord

# MedVLM-R1's MCQA file spells these columns its own way.
COLUMN_ALIASES = {
    "original_question": "final_question",
    "correct_letter": "correct_option",
    "correct_answer": "true_answer",
    "extracted_answer": "selected_option",
}
CSV_FIELDS = (
    "problem_id",
    "final_question",
    "true_answer",
    "generated_answer",
    "full_response",
    "correct_option",
    "selected_option",
    "is_correct",
)
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def _raise_csv_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _parse_bool(path: Path, row_no: int, value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise FileProblem(path, f"row {row_no}: is_correct is {value!r}, expected True or False")


def _canonical(column: str, header: list[str]) -> str:
    """A column's ResultRecord name; an alias yields to a column already spelled the usual way."""
    target = COLUMN_ALIASES.get(column)
    return target if target and target not in header else column


def read_csv_records(path: str | Path, key: ResultKey) -> list[ResultRecord]:
    """Rows of an authors' CSV as records. An empty cell reads as None (scored as `nan`)."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise FileProblem(path, "empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(path, f"not UTF-8 (byte {exc.start})") from None
    _raise_csv_limit()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        rows = list(reader)
    except csv.Error as exc:
        raise FileProblem(path, f"not a readable CSV file ({exc})") from None
    names = [_canonical(h, header) for h in header]
    check_fields(path, set(names), key.task_format)
    wanted = [(i, n) for i, n in enumerate(names) if n in CSV_FIELDS]
    records = []
    for row_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        values: dict[str, Any] = {n: (row[i] if i < len(row) and row[i] != "" else None) for i, n in wanted}
        if not values.get("problem_id"):
            raise FileProblem(path, f"row {row_no} has no problem_id")
        values["is_correct"] = _parse_bool(path, row_no, values.get("is_correct"))
        values["status"] = authors_status(values.get("generated_answer"))
        records.append(
            ResultRecord(
                model=key.model, inference_mode=key.inference_mode, task_format=key.task_format, **values
            )
        )
    if not records:
        raise FileProblem(path, "has a header but no rows")
    return records
