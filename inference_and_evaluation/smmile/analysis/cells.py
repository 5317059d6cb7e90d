"""The cells of evaluation_results.json: each plain result's accuracy under a metric and mode,
bootstrapped over its problems, with the caveats its cell must show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from smmile.analysis.outcomes import Outcomes
from smmile.analysis.stats import bootstrap
from smmile.results.outputs import Cell, Cells


def accuracy_cells(outcomes: Iterable[Outcomes], n_boot: int = 1000, seed: int = 42) -> Cells:
    """{model: {metric: {mode: cell}}}, in the order of `outcomes`."""
    cells: Cells = {}
    for o in outcomes:
        stats = bootstrap(o.vector, n_boot=n_boot, seed=seed).as_dict()
        cell = cast(Cell, {**stats, **(o.caveats.as_dict() if o.caveats else {})})
        cells.setdefault(o.key.model, {}).setdefault(o.metric, {})[o.key.inference_mode] = cell
    return cells
