"""What a table must say about a cell besides its number: n, and a mark when the cell is
incomplete, holds error records or unreadable MCQA replies, or comes from a saved score whose
result file is absent. Every table (text, LaTeX, the HTML report, the stratification) marks its
cells from here, with the same legend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smmile.results.datasets import dataset_of
from smmile.results.outputs import CellCaveats
from smmile.results.records import is_error
from smmile.scoring import unreadable_counts

if TYPE_CHECKING:
    from smmile.results.evaluations import SavedEvaluation
    from smmile.results.reader import Result

LEGEND: dict[str, str] = {
    "a": "incomplete: fewer problems than the dataset has, a shard file missing, or records the judge "
    "left unjudged",
    "e": "has error records (failed generations, counted wrong)",
    "u": "has MCQA replies from which no option could be read (EXTRACTION_FAILED, INVALID_OPTION), "
    "counted wrong",
    "p": "a saved score whose result file is absent, used as published",
}


@dataclass(frozen=True)
class Caveats:
    """The facts behind a cell's marks. n: problems scored; expected: the dataset's count (or the
    run manifest's) when known."""

    n: int
    expected: int | None = None
    missing_shards: tuple[str, ...] = ()
    unjudged: int = 0
    errors: int = 0
    unreadable: int = 0
    published_only: bool = False
    dataset: str | None = None

    @property
    def incomplete(self) -> bool:
        short = self.expected is not None and self.n < self.expected
        return short or bool(self.missing_shards) or self.unjudged > 0

    @property
    def marks(self) -> list[str]:
        flags = {
            "a": self.incomplete,
            "e": self.errors > 0,
            "u": self.unreadable > 0,
            "p": self.published_only,
        }
        return [code for code in LEGEND if flags[code]]

    def details(self) -> list[str]:
        """One phrase per caveat, e.g. `8 of 12 problems`, `3 error record(s)`."""
        out = []
        if self.expected is not None and self.n < self.expected:
            out.append(f"{self.n} of {self.expected} problems")
        if self.missing_shards:
            out.append(f"shard file(s) missing: {', '.join(self.missing_shards)}")
        if self.unjudged:
            out.append(f"{self.unjudged} record(s) unjudged")
        if self.errors:
            out.append(f"{self.errors} error record(s)")
        if self.unreadable:
            out.append(f"{self.unreadable} of {self.n} MCQA replies unreadable")
        if self.published_only:
            out.append("saved score, result file absent")
        return out

    def as_dict(self) -> CellCaveats:
        """The keys added to a marked cell of evaluation_results.json (none for a clean cell)."""
        if not self.marks:
            return {}
        return {"marks": self.marks, "caveats": self.details(), "expected_n": self.expected}


def result_caveats(result: Result, metric: str, n: int | None = None, unjudged: int = 0) -> Caveats:
    """The caveats of one result's cell under `metric` (`n`: problems scored, default its records)."""
    ids, names = [r.problem_id for r in result.records], [r.dataset for r in result.records]
    dataset = dataset_of(ids, names, authors=result.kind == "csv")
    return Caveats(
        n=len(result.records) if n is None else n,
        expected=dataset.expected if dataset.expected is not None else result.manifest_expected,
        missing_shards=tuple(result.missing_shards),
        unjudged=unjudged,
        errors=sum(is_error(r) for r in result.records),
        unreadable=unreadable_counts(result.records)["unreadable_count"] if metric == "MCQA" else 0,
        dataset=dataset.label,
    )


def saved_caveats(saved: SavedEvaluation, problem_ids: Iterable[str]) -> Caveats:
    """The caveats of a cell read from a saved evaluation whose result file is absent."""
    ids = list(problem_ids)
    dataset = dataset_of(ids)
    data = saved.data
    return Caveats(
        n=len(ids),
        expected=dataset.expected,
        errors=int(data.get("err_count") or 0),
        unreadable=int(data.get("unreadable_count") or 0),
        published_only=True,
        dataset=dataset.label,
    )


def legend_lines(marks: Sequence[str]) -> list[str]:
    """`[a] incomplete: ...`, one line per mark used."""
    return [f"[{m}] {LEGEND[m]}" for m in marks]


def mark_text(marks: Sequence[str]) -> str:
    return f" [{','.join(marks)}]" if marks else ""
