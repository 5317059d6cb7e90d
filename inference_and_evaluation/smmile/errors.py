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


_requested_stop: int | None = None


def request_stop(signum: int) -> None:
    """Remember that SIGINT/SIGTERM asked the run to stop (the first signal counts)."""
    global _requested_stop
    if _requested_stop is None:
        _requested_stop = signum


def clear_stop_request() -> None:
    global _requested_stop
    _requested_stop = None


def raise_if_stop_requested(where: str | Path | None = None) -> None:
    """Raise the stop a signal asked for, if it has not stopped the run already: a signal's
    exception that lands where Python ignores exceptions (a weakref callback, a __del__) is
    never lost, the run loop raises it again after the next record."""
    if _requested_stop is not None:
        raise Interrupted(_requested_stop, where)
