"""ResultRecord <-> JSON object (the JSONL schema is the ResultRecord dataclass)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from smmile.types import ResultRecord

FIELD_NAMES = tuple(f.name for f in fields(ResultRecord))


def record_to_json(record: ResultRecord) -> dict[str, Any]:
    return asdict(record)


def record_from_json(obj: dict[str, Any]) -> ResultRecord:
    """Build a record from a JSON object; unknown keys are ignored, problem_id is required."""
    if not obj.get("problem_id"):
        raise ValueError("record has no problem_id")
    known = {k: v for k, v in obj.items() if k in FIELD_NAMES}
    known["problem_id"] = str(known["problem_id"])
    if known.get("metadata") is None:
        known["metadata"] = {}
    return ResultRecord(**known)
