"""JSON Lines on disk: append-and-flush writing, tolerant reading, atomic rewriting."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import FileProblem, UserError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()  # what open() would give a new file (mkstemp gives 0600)


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
        content.rows.append(obj)
    return content


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_utf8(text: str) -> tuple[str, int]:
    """`text` as valid UTF-8 can hold it, and how many characters had to be replaced.

    A lone UTF-16 surrogate (e.g. half an emoji, as a JSON reply may hold: `"\\ud83d"`) cannot be
    stored; it becomes U+FFFD. A complete surrogate pair becomes the character it stands for.
    Every text this package writes to disk passes through here.
    """
    if not _SURROGATE.search(text):
        return text, 0
    before = text.count("\ufffd")
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return fixed, fixed.count("\ufffd") - before


def dumps_counted(obj: dict[str, Any]) -> tuple[str, int]:
    """One JSON line (non-ASCII kept readable) and how many characters `valid_utf8` replaced."""
    return valid_utf8(json.dumps(obj, ensure_ascii=False, sort_keys=False))


def dumps(obj: dict[str, Any]) -> str:
    return dumps_counted(obj)[0]


def append_line(fh: IO[str], obj: dict[str, Any]) -> None:
    """Write one object as one line and flush it to the OS at once."""
    fh.write(dumps(obj) + "\n")
    fh.flush()


def write_atomic(path: str | Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename: readers never see half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(valid_utf8(text)[0])
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(path: str | Path, text: str) -> None:
    """Write an output file atomically; a failure is one line naming the file (a UserError)."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    write_atomic(path, "".join(dumps(r) + "\n" for r in rows))


def write_json_atomic(path: str | Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
