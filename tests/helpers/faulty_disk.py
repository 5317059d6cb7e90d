"""Run a script on a disk that fails: `python faulty_disk.py FOLDER MODE N SCRIPT ARGS...`.

Files under FOLDER behave as on a real disk until the fault starts, then:
- `full`: after N lines of JSONL (records) have been written under FOLDER, a write stores half
  its text and fails with ENOSPC, and so does every write of any file after it (the disk stays full);
- `readonly`: opening a file for writing under FOLDER fails with EROFS (a read-only mount; a
  test running as root cannot make one with chmod).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import runpy
import sys
from pathlib import Path

FOLDER, MODE, LIMIT = Path(sys.argv[1]).resolve(), sys.argv[2], int(sys.argv[3])
SCRIPT = sys.argv[4]
lines_written = 0
full = False


def _inside(path) -> bool:
    try:
        return Path(os.fsdecode(path)).resolve().is_relative_to(FOLDER)
    except (TypeError, ValueError):
        return False


def _fail(code: int):
    return OSError(code, os.strerror(code))


class FillingFile:
    """A text file whose writes fail once the disk is full."""

    def __init__(self, fh, path):
        self._fh = fh
        self._counts = ".jsonl" in os.fsdecode(path)

    def write(self, text: str) -> int:
        global lines_written, full
        if full:
            raise _fail(errno.ENOSPC)
        if not self._counts:
            return self._fh.write(text)
        if lines_written + text.count("\n") > LIMIT:
            full = True
            self._fh.write(text[: len(text) // 2])
            self._fh.flush()
            raise _fail(errno.ENOSPC)
        lines_written += text.count("\n")
        return self._fh.write(text)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def _writing(mode) -> bool:
    return any(c in str(mode) for c in "wax+")


_open, _fdopen, _os_open = builtins.open, os.fdopen, os.open
_fd_paths: dict[int, str] = {}


def fake_open(file, mode="r", *args, **kwargs):
    if _writing(mode) and not isinstance(file, int) and _inside(file):
        if MODE == "readonly":
            raise _fail(errno.EROFS)
        fh = _open(file, mode, *args, **kwargs)
        return FillingFile(fh, file) if "b" not in mode else fh
    return _open(file, mode, *args, **kwargs)


def fake_os_open(path, flags, *args, **kwargs):
    writes = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
    if writes and _inside(path) and MODE == "readonly":
        raise _fail(errno.EROFS)
    fd = _os_open(path, flags, *args, **kwargs)
    if writes and _inside(path):
        _fd_paths[fd] = path
    return fd


def fake_fdopen(fd, mode="r", *args, **kwargs):
    fh = _fdopen(fd, mode, *args, **kwargs)
    if fd in _fd_paths and _writing(mode) and "b" not in mode:
        return FillingFile(fh, _fd_paths[fd])
    return fh


builtins.open = io.open = fake_open
os.open, os.fdopen = fake_os_open, fake_fdopen
sys.argv = [SCRIPT, *sys.argv[5:]]
sys.path.insert(0, str(Path(SCRIPT).resolve().parent))
runpy.run_path(SCRIPT, run_name="__main__")
