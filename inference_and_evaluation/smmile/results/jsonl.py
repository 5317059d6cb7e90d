"""JSON Lines on disk: append-and-flush writing, tolerant reading, atomic rewriting."""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smmile.errors import FileProblem


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
        if "\\ud" in line or "\\uD" in line:  # an escaped surrogate: a file written elsewhere
            fixed, _ = dumps_counted(obj)
            obj = json.loads(fixed)
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


def cannot_write(path: str | Path, exc: OSError) -> FileProblem:
    """One line for a failed write: the file and the system's reason (a full disk said plainly)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += ": the disk (or the quota) is full"
    elif exc.errno == errno.EROFS:
        reason += ": the file system is read-only"
    return FileProblem(path, f"cannot write ({reason})")


def writable_folder(folder: str | Path) -> Path:
    """Create `folder` if needed and check that a file can be written in it, before any work."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileProblem(folder, "is a file, not a folder: choose another output folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileProblem(folder, f"cannot create this folder ({exc.strerror or exc})") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise FileProblem(folder, f"cannot write in this folder ({exc.strerror or exc})") from None
    return folder


def write_atomic(path: str | Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename: readers never see half of it.

    A failure (full disk, read-only folder) leaves any earlier file untouched and is one line
    naming the file (a FileProblem).
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(valid_utf8(text)[0])
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def write_output(path: str | Path, text: str) -> None:
    """Write an output file atomically; a failure is one line naming the file (a UserError)."""
    write_atomic(path, text)


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    write_atomic(path, "".join(dumps(r) + "\n" for r in rows))


def write_json_atomic(path: str | Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
