"""Errors a user can act on: they are printed as one line, never as a traceback."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Bad input or configuration: the message is the whole story."""


class FileProblem(UserError):
    """A file that cannot be used, named in the message."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM: the run stops, keeping everything it has written (`where`, if known)."""

    def __init__(self, signum: int, where: str | Path | None = None):
        self.signum = signum
        self.where = where
        super().__init__(signum)
