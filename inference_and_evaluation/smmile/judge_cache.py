"""The judge's cache: a sqlite file in the results folder, one row per judged prompt.

Keyed by (judge backend, judge model, sha256 of the prompt); a row holds the judge's raw reply
and its verdict (1, 0, or NULL for a reply that was neither). A prompt whose record changed has
another hash and is judged again. Failed requests are never stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import FileProblem
from .results.jsonl import valid_utf8
from .results.manifest import utc_now

FILE_NAME = "judge_cache.sqlite"
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


class JudgeCache:
    """Open with `JudgeCache.in_folder(results_dir)`; use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise FileProblem(self.path, f"not a judge cache ({exc}); delete it to start afresh") from None

    @classmethod
    def in_folder(cls, folder: str | Path) -> JudgeCache:
        return cls(Path(folder) / FILE_NAME)

    def lookup(self, backend: str, model: str, hashes: Iterable[str]) -> dict[str, Cached]:
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, Cached] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT prompt_sha256, reply, verdict FROM judgements "
                f"WHERE backend = ? AND model = ? AND prompt_sha256 IN ({marks})",
                (backend, model, *chunk),
            )
            found.update({h: Cached(reply, verdict) for h, reply, verdict in rows})
        return found

    def store(self, backend: str, model: str, prompt_sha256: str, reply: str, verdict: int | None) -> None:
        """Keep one judgement at once (a killed run keeps what it had)."""
        self._db.execute(
            "INSERT OR REPLACE INTO judgements VALUES (?, ?, ?, ?, ?, ?)",
            (backend, model, prompt_sha256, valid_utf8(reply)[0], verdict, utc_now()),
        )
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM judgements").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> JudgeCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
