"""The ablation table: each ablation run against its plain run, paired over the same problems."""

from __future__ import annotations

from typing import Any

from smmile.analysis.outcomes import Outcomes, paired
from smmile.analysis.stats import paired_bootstrap
from smmile.present.tables import METRIC_ORDER, display_name, grid, latex_escape, latex_name, row_order

AblationTable = dict[str, dict[str, dict[str, dict[str, Any]]]]  # model -> tag -> metric -> cell


def ablation_table(
    outcomes: list[Outcomes], n_boot: int = 1000, seed: int = 42
) -> tuple[AblationTable, list[str]]:
    """{model: {ablation: {metric: cell}}}; a cell holds the ablation's accuracy, its plain run's
    accuracy on the same problems, the difference in points and its paired 95% interval."""
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
        table.setdefault(o.key.model, {}).setdefault(o.key.ablation, {})[o.metric] = cell
    return table, notes


def _rows(table: AblationTable) -> list[tuple[str, str, str, dict[str, Any]]]:
    ordered = [m for group in row_order(list(table)) for m in group]
    return [
        (model, tag, metric, table[model][tag][metric])
        for model in ordered
        for tag in sorted(table[model])
        for metric in METRIC_ORDER
        if metric in table[model][tag]
    ]


def _diff_text(cell: dict[str, Any]) -> str:
    if cell.get("diff") is None:
        return "-"
    return f"{cell['diff']:+.2f} [{cell['ci_low']:+.2f}, {cell['ci_high']:+.2f}]"


def ablation_text(table: AblationTable) -> str:
    header = ["Model", "Ablation", "Metric", "Accuracy", "Plain run", "Difference [95% CI]", "n"]
    body = [
        [
            display_name(model),
            tag,
            metric,
            f"{cell['accuracy']:.2f}",
            "-" if cell.get("base_accuracy") is None else f"{cell['base_accuracy']:.2f}",
            _diff_text(cell),
            str(cell["n"]),
        ]
        for model, tag, metric, cell in _rows(table)
    ]
    return grid(header, [body])


def ablation_latex(table: AblationTable) -> str:
    lines = [
        r"\begin{tabular}{lllrrr}",
        r"\toprule",
        r"Model & Ablation & Metric & Accuracy & Plain run & $\Delta$ [95\% CI] \\",
        r"\midrule",
    ]
    for model, tag, metric, cell in _rows(table):
        base = "-" if cell.get("base_accuracy") is None else f"{cell['base_accuracy']:.2f}"
        diff = (
            "-"
            if cell.get("diff") is None
            else (f"${cell['diff']:+.2f}$ [${cell['ci_low']:+.2f}$, ${cell['ci_high']:+.2f}$]")
        )
        lines.append(
            f"{latex_name(model)} & \\texttt{{{latex_escape(tag)}}} & {latex_escape(metric)} & "
            f"{cell['accuracy']:.2f} & {base} & {diff} \\\\"
        )
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
