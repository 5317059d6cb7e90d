"""Compare a folder's cells with the paper's table: values in, a typed comparison out (no I/O).

The paper printed, per cell, the mean of 1,000 bootstrap means and their SD. That mean differs
from the observed accuracy of the same answers only by resampling noise, whose SD is
`sd / sqrt(1000)` (about 0.14 points for an SD of 4.5). A difference within `Z` times that noise
is "explained by the bootstrap"; a larger one means the paper's answers were not these answers
(another run). A cell "differs" when it is more than `tolerance` points from the paper.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from smmile.data.paper_tables import EXPERT, PaperTable
from smmile.results.outputs import ComparisonSummary

PAPER_JUDGE = "ollama:llama3.3"  # the paper's LLM judge (backend:model)
TOLERANCE = 0.5  # points
Z = 3.0  # bootstrap-noise SDs a difference may span and still be resampling noise

AGREES, DIFFERS, INCOMPLETE = "agrees", "differs", "incomplete"
NOT_RUN, NEW, OMITTED = "not in the folder", "not in the paper", "omitted by the paper"


@dataclass(frozen=True)
class OurCell:
    """A folder's cell: observed accuracy and bootstrap SD (points), problems scored, error records."""

    accuracy: float
    std: float
    n: int
    errors: int = 0
    protocols: tuple[str, ...] = ()
    judge: str | None = None  # backend:model of an LLM cell's judge, when its file says


@dataclass(frozen=True)
class CellComparison:
    model: str
    metric: str
    mode: str
    status: str
    paper: float | None = None
    paper_sd: float | None = None
    ours: float | None = None
    ours_sd: float | None = None
    n: int | None = None
    diff: float | None = None  # ours - paper, points
    answers: float | None = None  # diff as a number of answers (diff * n / 100)
    correct: int | None = None  # our right answers
    paper_correct: float | None = None  # the paper's mean as answers (value * n / 100)
    bootstrap_noise: float | None = None  # Z * paper_sd / sqrt(resamples)
    explained: bool | None = None  # |diff| <= bootstrap_noise
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    table: str
    dataset_name: str
    source: str
    problems: int
    bootstrap_resamples: int
    tolerance: float
    z: float
    cells: list[CellComparison] = field(default_factory=list)
    paper_notes: tuple[str, ...] = ()

    def with_status(self, *status: str) -> list[CellComparison]:
        return [c for c in self.cells if c.status in status]

    @property
    def new_models(self) -> list[str]:
        paper_models = {c.model for c in self.cells if c.paper is not None}
        return list(dict.fromkeys(c.model for c in self.cells if c.model not in paper_models))

    def summary(self) -> ComparisonSummary:
        differing = self.with_status(DIFFERS)
        return {
            "compared": len(self.with_status(AGREES, DIFFERS)),
            "agree": len(self.with_status(AGREES)),
            "differ": len(differing),
            "differ_explained_by_bootstrap": sum(bool(c.explained) for c in differing),
            "agree_beyond_bootstrap": sum(c.explained is False for c in self.with_status(AGREES)),
            "incomplete": len(self.with_status(INCOMPLETE)),
            "paper_cells_not_in_folder": len(self.with_status(NOT_RUN)),
            "new_models": self.new_models,
        }

    def as_dict(self) -> dict[str, Any]:
        """`paper_comparison.json`: these fields, the summary, then one entry per cell."""
        head = {k: v for k, v in asdict(self).items() if k != "cells"}
        return {**head, "summary": self.summary(), "cells": [asdict(c) for c in self.cells]}


def _notes(ours: OurCell, problems: int) -> list[str]:
    notes = []
    if ours.n != problems:
        notes.append(f"{ours.n} of the {problems} problems")
    if ours.errors:
        notes.append(f"{ours.errors} error record(s), counted wrong")
    others = [p for p in ours.protocols if p != "paper"]
    if others:
        notes.append(f"protocol {', '.join(others)}: not the paper's prompts")
    if ours.judge and ours.judge != PAPER_JUDGE:
        notes.append(f"judged by {ours.judge}, the paper by {PAPER_JUDGE}")
    return notes


def compare_cell(
    table: PaperTable, model: str, metric: str, mode: str, ours: OurCell | None, tolerance: float, z: float
) -> CellComparison | None:
    """One cell's comparison; None when neither the paper nor the folder has it."""
    paper = table.cell(model, metric, mode)
    if paper is None and ours is None:
        return None
    if ours is None:
        assert paper is not None
        return CellComparison(model, metric, mode, NOT_RUN, paper=paper.value, paper_sd=paper.sd)
    base = {
        "ours": ours.accuracy,
        "ours_sd": ours.std,
        "n": ours.n,
        "correct": round(ours.accuracy * ours.n / 100),
    }
    notes = _notes(ours, table.problems)
    if paper is None:
        omitted = table.omission(metric, mode)
        if omitted is not None and model in table.models:
            above = ours.accuracy > omitted.at_most
            notes.append(
                f"the paper gives at most {omitted.at_most:g} for every model"
                + (": ours is above it" if above else "")
            )
            return CellComparison(model, metric, mode, OMITTED, **base, notes=tuple(notes))
        return CellComparison(model, metric, mode, NEW, **base, notes=tuple(notes))
    diff = ours.accuracy - paper.value
    noise = None if paper.sd is None else z * paper.sd / math.sqrt(table.bootstrap_resamples)
    # error records count as wrong answers, as they did for the paper (a note says how many)
    status = INCOMPLETE if ours.n != table.problems else DIFFERS if abs(diff) > tolerance else AGREES
    return CellComparison(
        model,
        metric,
        mode,
        status,
        paper=paper.value,
        paper_sd=paper.sd,
        **base,
        diff=diff,
        answers=diff * ours.n / 100,
        paper_correct=paper.value * ours.n / 100,
        bootstrap_noise=noise,
        explained=None if noise is None else abs(diff) <= noise + 1e-9,
        notes=tuple(notes),
    )


def compare(
    table: PaperTable,
    ours: Mapping[tuple[str, str, str], OurCell],
    columns: tuple[tuple[str, str], ...],
    model_order: list[str],
    tolerance: float = TOLERANCE,
    z: float = Z,
) -> Comparison:
    """Every (model, column) of the paper's table or the folder, in `model_order` then `columns`.

    `model_order` lists every model of both (the caller decides the display order). The paper's
    Expert columns (ratings by clinicians) have no counterpart in a folder and are left out.
    """
    cells = []
    for model in model_order:
        for metric, mode in columns:
            if metric == EXPERT:
                continue
            c = compare_cell(table, model, metric, mode, ours.get((model, metric, mode)), tolerance, z)
            if c is not None:
                cells.append(c)
    return Comparison(
        table=table.table,
        dataset_name=table.dataset_name,
        source=table.source,
        problems=table.problems,
        bootstrap_resamples=table.bootstrap_resamples,
        tolerance=tolerance,
        z=z,
        cells=cells,
        paper_notes=table.notes,
    )
