"""The judge's cache: a sqlite file in the results folder, one row per judged prompt.

Keyed by (judge backend, judge model, sha256 of the prompt); a row holds the judge's raw reply
and its verdict (1, 0, or NULL for a reply that was neither). A prompt whose record changed has
another hash and is judged again. Failed requests are never stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from smmile.errors import FileProblem
from smmile.io import valid_utf8
from smmile.results.manifest import utc_now
from smmile.results.naming import JUDGE_CACHE

_CHUNK = 500  # host parameters per lookup, well under sqlite's limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgements (
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_sha256 TEXT NOT NULL,
    reply TEXT NOT NULL,
    verdict INTEGER,
    judged_at TEXT NOT NULL,
    PRIMARY KEY (backend, model, prompt_sha256)
)
"""


@dataclass(frozen=True)
class Cached:
    reply: str
    verdict: int | None  # 1 correct, 0 incorrect, None: the reply was not a verdict


REBUILD_FLAG = "--rebuild-cache"


def sqlite_problem(path: Path, exc: sqlite3.Error) -> FileProblem:
    """One line for a failed cache operation, by sqlite's error code."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    detail = " ".join(str(exc).split())
    detail = detail if len(detail) <= 160 else detail[:157] + "..."
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in str(exc):
        return FileProblem(
            path,
            f"the judge cache is damaged ({detail}); re-run with {REBUILD_FLAG} to keep it aside "
            "and start a new one (every prompt is judged again)",
        )
    if name.startswith("SQLITE_FULL"):
        return FileProblem(path, f"cannot write ({detail}: the disk (or the quota) is full)")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return FileProblem(path, f"the judge cache is in use by another process ({detail})")
    return FileProblem(path, f"cannot use the judge cache ({detail})")


def set_aside(path: Path) -> Path | None:
    """Move a cache (with its -wal and -shm files) aside under a backup name; None if there was none."""
    from smmile.results.store import keep_previous

    if not path.exists():
        return None
    companions = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    return keep_previous(path, *companions)


class JudgeCache:
    """Open with `JudgeCache.in_folder(results_dir)`; use as a context manager.

    A cache whose file or pages are damaged is refused (checked when opened, and on every use)
    with a line naming `REBUILD_FLAG`; `rebuild=True` keeps the old file aside and starts afresh.
    """

    def __init__(self, path: str | Path, rebuild: bool = False):
        self.path = Path(path)
        self.set_aside_as = set_aside(self.path) if rebuild else None
        try:
            self._db = sqlite3.connect(self.path)
        except sqlite3.Error as exc:
            raise sqlite_problem(self.path, exc) from None
        with self._guarded():
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
            problems = [row[0] for row in self._db.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError(f"database disk image is malformed: {'; '.join(problems)}")

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            db = getattr(self, "_db", None)
            if db is not None:
                db.close()
            raise sqlite_problem(self.path, exc) from None

    @classmethod
    def in_folder(cls, folder: str | Path, rebuild: bool = False) -> JudgeCache:
        return cls(Path(folder) / JUDGE_CACHE, rebuild=rebuild)

    def lookup(self, backend: str, model: str, hashes: Iterable[str]) -> dict[str, Cached]:
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, Cached] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._guarded():
                rows = self._db.execute(
                    "SELECT prompt_sha256, reply, verdict FROM judgements "
                    f"WHERE backend = ? AND model = ? AND prompt_sha256 IN ({marks})",
                    (backend, model, *chunk),
                ).fetchall()
            found.update({h: Cached(reply, verdict) for h, reply, verdict in rows})
        return found

    def store(self, backend: str, model: str, prompt_sha256: str, reply: str, verdict: int | None) -> None:
        """Keep one judgement at once (a killed run keeps what it had)."""
        with self._guarded():
            self._db.execute(
                "INSERT OR REPLACE INTO judgements VALUES (?, ?, ?, ?, ?, ?)",
                (backend, model, prompt_sha256, valid_utf8(reply)[0], verdict, utc_now()),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._guarded():
            return self._db.execute("SELECT COUNT(*) FROM judgements").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> JudgeCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
