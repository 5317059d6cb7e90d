"""The one way this package writes a file: through a temporary sibling and a rename.

Readers never see half a file; a failure (full disk, read-only folder) leaves any earlier file
untouched and is one line naming the file (a FileProblem). Text is stored as valid UTF-8.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smmile.errors import FileProblem


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_current_umask()  # what open() would give a new file (mkstemp gives 0600)
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


@contextmanager
def atomic_target(path: str | Path) -> Iterator[str]:
    """A temporary sibling of `path` to write (e.g. by a library that takes a file name); it
    replaces `path` when the block ends without an error, and is removed otherwise."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, FILE_MODE)
        yield tmp
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise cannot_write(path, exc) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write `data` (text is stored as valid UTF-8) to `path` through a temporary sibling, synced
    to disk before the rename."""
    payload = valid_utf8(data)[0].encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path) as tmp, open(tmp, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """`obj` as indented JSON (non-ASCII kept readable), written atomically."""
    write_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
