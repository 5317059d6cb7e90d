"""An advisory lock on a results folder, so that two judges on one folder do not both send.

The lock is `fcntl.flock` on a small file in the folder (`.judge.lock`): the operating system
releases it when the holder exits, however it exits, so a killed judge never leaves a stale lock.
A second judge is refused at once in one line naming the holder; it does not wait.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smmile.errors import UserError
from smmile.results.manifest import utc_now
from smmile.results.naming import lock_path


@contextmanager
def folder_lock(folder: str | Path, what: str = "judge") -> Iterator[Path]:
    """Hold `<folder>/.<what>.lock` for the duration; a UserError if another process holds it."""
    path = lock_path(Path(folder) / what)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(f"{path}: cannot create the {what} lock ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise UserError(
                f"{folder}: another {what} is already running on this folder ({holder}); "
                "wait for it to finish, then re-run (what it judged is cached)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {utc_now()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
