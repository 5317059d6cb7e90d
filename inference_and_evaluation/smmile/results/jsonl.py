"""JSON Lines on disk: one serialisation of a record, tolerant reading, atomic rewriting."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smmile.errors import FileProblem
from smmile.io import valid_utf8


@dataclass
class JsonlContent:
    rows: list[dict[str, Any]]
    torn_tail: bool = False  # the last line was cut short (a killed run) and was ignored
    warnings: list[str] = field(default_factory=list)


def read_jsonl(path: str | Path) -> JsonlContent:
    """Read every complete JSON object; a cut-short last line is reported, not fatal.

    A malformed line elsewhere, or a file that is not UTF-8, raises FileProblem.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(path, f"not UTF-8 (byte {exc.start})") from None
    lines = text.split("\n")
    content = JsonlContent(rows=[])
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            if i == last:  # no newline after it: the writer was killed mid-line
                content.torn_tail = True
                content.warnings.append(f"{path}: last line is incomplete (interrupted run?); ignored")
                continue
            raise FileProblem(path, f"line {i + 1} is not valid JSON") from None
        if not isinstance(obj, dict):
            raise FileProblem(path, f"line {i + 1} is not a JSON object")
        if "\\ud" in line or "\\uD" in line:  # an escaped surrogate: a file written elsewhere
            fixed, _ = dumps_counted(obj)
            obj = json.loads(fixed)
        content.rows.append(obj)
    return content


def dumps_counted(obj: dict[str, Any]) -> tuple[str, int]:
    """One JSON line (non-ASCII kept readable) and how many characters `valid_utf8` replaced."""
    return valid_utf8(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def dumps(obj: dict[str, Any]) -> str:
    return dumps_counted(obj)[0]
