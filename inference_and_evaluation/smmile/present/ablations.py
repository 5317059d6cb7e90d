"""The ablation table as text and as LaTeX (the table: `analysis.ablations`)."""

from __future__ import annotations

from typing import Any

from smmile.analysis.order import METRIC_ORDER, display_name, in_row_order
from smmile.present.tables import grid, latex_escape, latex_name
from smmile.results.outputs import AblationTable


def _rows(table: AblationTable) -> list[tuple[str, str, str, dict[str, Any]]]:
    ordered = in_row_order(list(table))
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
