"""The ablation table: each ablation run against its plain run, paired over the same problems."""

from __future__ import annotations

from typing import Any, cast

from smmile.analysis.outcomes import Outcomes, paired
from smmile.analysis.stats import paired_bootstrap
from smmile.results.outputs import AblationCell, AblationTable


def ablation_table(
    outcomes: list[Outcomes], n_boot: int = 1000, seed: int = 42
) -> tuple[AblationTable, list[str]]:
    """`ablations.json` (`outputs.AblationTable`): per model, ablation and metric, the ablation's
    accuracy, its plain run's accuracy on the same problems, the difference in points and its paired
    95% interval."""
    plain = {(o.key, o.metric): o for o in outcomes if o.key.ablation is None}
    table: AblationTable = {}
    notes: list[str] = []
    for o in outcomes:
        if o.key.ablation is None:
            continue
        cell: dict[str, Any] = {"mode": o.key.inference_mode, "format": o.key.task_format}
        base = plain.get((o.key.base, o.metric))
        if base is None:
            notes.append(
                f"warning: {o.key.stem} ({o.metric}): no plain run {o.key.base.stem} to compare with"
            )
            vector = o.vector
            cell.update(accuracy=float(vector.mean() * 100), n=int(vector.size), diff=None)
        else:
            a, b, common = paired(base.by_problem, o.by_problem)
            if not common:
                notes.append(
                    f"warning: {o.key.stem} ({o.metric}): no problem in common with {o.key.base.stem}"
                )
                continue
            cell.update(paired_bootstrap(a, b, n_boot=n_boot, seed=seed).as_dict())
        table.setdefault(o.key.model, {}).setdefault(o.key.ablation, {})[o.metric] = cast(AblationCell, cell)
    return table, notes
