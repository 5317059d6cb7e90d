"""ResultRecord <-> JSON object (the JSONL schema is the ResultRecord dataclass), and the fields
a result needs to be scored (JSONL records and the authors' CSV columns alike)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from smmile.errors import FileProblem
from smmile.types import ResultRecord

FIELD_NAMES = tuple(f.name for f in fields(ResultRecord))
OPEN_REQUIRED = ("problem_id", "true_answer", "generated_answer")
_SCALARS = frozenset({str, int, float, bool, type(None)})


@dataclass
class _Box:
    value: Any


def plain_copy(value: Any) -> Any:
    """`asdict`'s copy of one field's value (a dataclass as a dict, containers copied), without
    its deep copy of every scalar."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {plain_copy(k): plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [plain_copy(v) for v in value]
    return asdict(_Box(value))["value"]


def record_to_json(record: ResultRecord) -> dict[str, Any]:
    """The record as `dataclasses.asdict` gives it (a copy: nothing shared with the record)."""
    return {name: plain_copy(getattr(record, name)) for name in FIELD_NAMES}


def record_from_json(obj: dict[str, Any]) -> ResultRecord:
    """Build a record from a JSON object; unknown keys are ignored, problem_id is required."""
    if not obj.get("problem_id"):
        raise ValueError("record has no problem_id")
    known = {k: v for k, v in obj.items() if k in FIELD_NAMES}
    known["problem_id"] = str(known["problem_id"])
    if known.get("metadata") is None:
        known["metadata"] = {}
    return ResultRecord(**known)


def check_fields(path: Path, columns: set[str], task_format: str, what: str = "column") -> None:
    """A FileProblem naming the fields a result of `task_format` needs that `columns` lacks."""
    missing = [c for c in ("problem_id",) if c not in columns]
    if task_format == "mcqa":
        if "is_correct" not in columns and not {"selected_option", "correct_option"} <= columns:
            missing.append("is_correct (or selected_option and correct_option)")
    else:
        missing += [c for c in OPEN_REQUIRED if c not in columns]
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise FileProblem(
            path, f"missing required {what}{s} {', '.join(dict.fromkeys(missing))} for a {task_format} result"
        )
