"""A results folder's cells for the comparison with the paper (its results and their judge files)."""

from __future__ import annotations

from collections.abc import Sequence

from smmile.analysis.outcomes import collect_outcomes
from smmile.analysis.paper_compare import OurCell
from smmile.analysis.stats import bootstrap
from smmile.results.reader import Result
from smmile.results.records import is_error
from smmile.results.scores import JudgeFiles


def our_cells(
    results: Sequence[Result], judged: JudgeFiles, n_boot: int = 1000, seed: int = 42
) -> tuple[dict[tuple[str, str, str], OurCell], list[str]]:
    """{(model, metric, mode): OurCell} of the plain (non-ablation) results, and notes on judge files."""
    by_key = {r.key: r for r in results if r.key is not None}
    outcomes, notes = collect_outcomes(list(results), judged)
    cells = {}
    for o in outcomes:
        if o.key.ablation is not None:
            continue
        records = by_key[o.key].records
        stats = bootstrap(o.vector, n_boot=n_boot, seed=seed)
        cells[(o.key.model, o.metric, o.key.inference_mode)] = OurCell(
            accuracy=stats.accuracy,
            std=stats.std,
            n=stats.n,
            errors=sum(is_error(r) for r in records if r.problem_id in o.by_problem),
            protocols=tuple(sorted({r.protocol for r in records if r.protocol})),
            judge=judged.of(by_key[o.key]).judge if o.metric == "LLM" else None,
        )
    return cells, notes
