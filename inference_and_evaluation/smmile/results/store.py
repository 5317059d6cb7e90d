"""The result file of one run: resume, append-and-flush, compaction, one writer at a time."""

from __future__ import annotations

import dataclasses
import fcntl
import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from smmile.errors import FileProblem, UserError
from smmile.io import cannot_write, writable_folder, write_atomic
from smmile.results.jsonl import JsonlContent, dumps, dumps_counted, read_jsonl
from smmile.results.naming import lock_path, replaced_suffix
from smmile.results.records import is_error, latest_per_problem
from smmile.results.schema import record_from_json, record_to_json
from smmile.types import ResultRecord


def _free_suffix(paths: Sequence[Path]) -> str:
    """`.replaced-<UTC time>` (then `-2`, `-3`, ...) that no backup of `paths` has taken yet."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count(1):
        suffix = replaced_suffix(stamp, n)
        if not any(p.with_name(p.name + suffix).exists() for p in paths):
            return suffix
    raise AssertionError("unreachable")


def _move_no_clobber(source: Path, target: Path) -> None:
    """Rename `source` to `target`; an existing `target` is never replaced."""
    try:
        os.link(source, target)  # refuses an existing target
    except FileExistsError:
        raise UserError(f"{target}: already exists; {source} was left in place") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise UserError(f"{target}: already exists; {source} was left in place") from None
        os.rename(source, target)
        return
    source.unlink()


def keep_previous(path: Path, *companions: Path) -> Path:
    """Move `path` and its companions that exist aside under one backup suffix that no earlier
    backup uses (so two --no-resume runs in one second keep both); returns `path`'s backup."""
    present = [p for p in (path, *companions) if p.exists()]
    suffix = _free_suffix(present)
    for p in present:
        _move_no_clobber(p, p.with_name(p.name + suffix))
    return path.with_name(path.name + suffix)


def _read(path: Path) -> tuple[list[ResultRecord], JsonlContent]:
    content = read_jsonl(path)
    try:
        return [record_from_json(row) for row in content.rows], content
    except (TypeError, ValueError) as exc:
        raise FileProblem(path, f"not a result file of this harness ({exc})") from None


def kept_records(path: Path) -> dict[str, ResultRecord]:
    """The records a resume of `path` would keep (one per problem); none when there is no file."""
    return latest_per_problem(_read(path)[0]) if path.exists() else {}


@dataclass
class ResultStore:
    """Appends records to `path`; on open, drops a torn last line and superseded records."""

    path: Path
    resume: bool = True
    companions: tuple[Path, ...] = ()  # files kept beside the result under the same backup suffix
    notes: list[str] = field(default_factory=list)
    replaced_characters: int = 0  # lone surrogates replaced in the records this store wrote
    replaced_in: list[str] = field(default_factory=list)  # the problems whose records they were in
    _fh: IO[str] | None = None
    _lock: IO[str] | None = None
    _records: dict[str, ResultRecord] = field(default_factory=dict)
    _lines: dict[str, str] = field(default_factory=dict)  # the line written for each appended record
    _broken: bool = False  # a write failed: close() keeps the file as it is
    _appended: bool = False  # a store that wrote nothing leaves the file as it found it

    def open(self) -> ResultStore:
        writable_folder(self.path.parent)
        self._acquire_lock()
        try:
            if self.path.exists():
                if self.resume:
                    self._load_and_compact()
                else:
                    kept = keep_previous(self.path, *self.companions)
                    self.notes.append(f"--no-resume: previous results kept as {kept.name}")
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (held until close)
        except OSError as exc:
            self.close()
            raise cannot_write(self.path, exc) from None
        except BaseException:
            self.close()
            raise
        return self

    def _acquire_lock(self) -> None:
        lock = lock_path(self.path)
        try:
            self._lock = open(lock, "w")  # noqa: SIM115 (held until close)
        except OSError as exc:
            raise cannot_write(lock, exc) from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise UserError(f"{self.path}: another run is writing this result right now") from None

    def _load_and_compact(self) -> None:
        records, content = _read(self.path)
        self._records = latest_per_problem(records)
        self.notes.extend(content.warnings)
        if content.torn_tail or len(self._records) != len(records):
            self.compact()

    @property
    def done(self) -> set[str]:
        """Problems that need no new attempt: those with an ok record."""
        return {pid for pid, rec in self._records.items() if not is_error(rec)}

    @property
    def records(self) -> dict[str, ResultRecord]:
        return dict(self._records)

    def append(self, record: ResultRecord) -> None:
        """Write one record and flush it; text UTF-8 cannot hold is replaced and counted in it."""
        assert self._fh is not None, "store is not open"
        line, replaced = dumps_counted(record_to_json(record))
        if replaced:
            record = record_from_json(json.loads(line))
            record = dataclasses.replace(record, invalid_characters_replaced=replaced)
            line = dumps(record_to_json(record))
            self.replaced_characters += replaced
            self.replaced_in.append(record.problem_id)
        try:
            self._fh.write(line + "\n")
            self._fh.flush()
        except OSError as exc:  # a full disk: what was written stays; a cut-short line is dropped on resume
            self._broken = True
            problem = cannot_write(self.path, exc)
            raise FileProblem(
                self.path, f"{problem.problem}; the {len(self._records)} record(s) written before are kept"
            ) from None
        self._records[record.problem_id] = record
        self._lines[record.problem_id] = line
        self._appended = True

    def compact(self) -> None:
        """Rewrite the file with one record per problem (atomic rename)."""
        if self._fh is not None:
            self._fh.close()
        lines = (self._lines.get(pid) or dumps(record_to_json(r)) for pid, r in self._records.items())
        write_atomic(self.path, "".join(line + "\n" for line in lines))
        if self._fh is not None:
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (held until close)

    def close(self) -> None:
        """Close and compact the file (if anything was written); after a failed write, keep it exactly
        as it is on disk."""
        try:
            fh, self._fh = self._fh, None
            if fh is None:
                return
            try:
                fh.close()
            except OSError as exc:
                if not self._broken:
                    self._broken = True
                    raise cannot_write(self.path, exc) from None
            if self._appended and not self._broken:  # a store that wrote nothing leaves the file
                self.compact()
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def __enter__(self) -> ResultStore:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
