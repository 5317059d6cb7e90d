"""The ICL gain: ICL minus 0-shot accuracy per model and metric, with a paired bootstrap interval.

Only the problems present in both modes count, and the bootstrap resamples those problems (the
same draw for both modes), so the interval respects the pairing. Gains are in points.
`icl_gain.json`: {model: {metric: {"gain", "ci_low", "ci_high", "n", "accuracy_0-shot", "accuracy_ICL"}}}.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .outcomes import Outcomes, collect_outcomes, paired
from .results.jsonl import write_output
from .results.reader import Result, check_single_dataset
from .stats import paired_bootstrap
from .tables import METRIC_ORDER, display_name, grid, latex_escape, latex_name, row_order

Gains = dict[str, dict[str, dict[str, Any]]]  # model -> metric -> cell
MISSING = "-"


def icl_gains(outcomes: Sequence[Outcomes], n_boot: int = 1000, seed: int = 42) -> tuple[Gains, list[str]]:
    """Gains of every model and metric with both plain 0-shot and ICL runs; warnings for pairs
    that share no problem or only some."""
    plain = {(o.key.model, o.metric, o.key.inference_mode): o for o in outcomes if o.key.ablation is None}
    gains: Gains = {}
    notes: list[str] = []
    for (model, metric, mode), icl in sorted(plain.items()):
        zero = plain.get((model, metric, "0-shot"))
        if mode != "ICL" or zero is None:
            continue
        a, b, common = paired(zero.by_problem, icl.by_problem)
        if not common:
            notes.append(f"warning: {model} {metric}: 0-shot and ICL share no problem; no ICL gain")
            continue
        if len(common) < max(len(zero.by_problem), len(icl.by_problem)):
            notes.append(
                f"warning: {model} {metric}: ICL gain over the {len(common)} problem(s) both modes have "
                f"(0-shot {len(zero.by_problem)}, ICL {len(icl.by_problem)})"
            )
        diff = paired_bootstrap(a, b, n_boot=n_boot, seed=seed)
        gains.setdefault(model, {})[metric] = {
            "gain": diff.diff,
            "ci_low": diff.ci_low,
            "ci_high": diff.ci_high,
            "n": diff.n,
            "accuracy_0-shot": diff.base_accuracy,
            "accuracy_ICL": diff.accuracy,
        }
    return {m: gains[m] for group in row_order(list(gains)) for m in group}, notes


def average_gains(gains: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, dict[str, float | int]]:
    """Per metric: the mean gain across the models that have one, and how many they are."""
    out: dict[str, dict[str, float | int]] = {}
    for metric in METRIC_ORDER:
        values = [g[metric]["gain"] for g in gains.values() if metric in g]
        if values:
            out[metric] = {"mean_gain": sum(values) / len(values), "models": len(values)}
    return out


def _cell(g: Mapping[str, Any] | None) -> str:
    return MISSING if g is None else f"{g['gain']:+.2f} [{g['ci_low']:+.2f}, {g['ci_high']:+.2f}]"


def average_lines(gains: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    return [
        f"Average ICL gain across {a['models']} model(s), {metric}: {a['mean_gain']:+.2f} points"
        for metric, a in average_gains(gains).items()
    ]


def gain_text(gains: Mapping[str, Mapping[str, Mapping[str, Any]]], n_boot: int, seed: int) -> str:
    """The table (gain [95% CI] per metric, n) and the average gain per metric."""
    title = (
        f"ICL gain over 0-shot in points, paired over the problems both modes have "
        f"({n_boot} resamples of problems, seed {seed}); gain [95% CI]\n\n"
    )
    if not gains:
        return title + "No model has plain 0-shot and ICL results of the same format.\n"
    metrics = [m for m in METRIC_ORDER if any(m in g for g in gains.values())]
    header = ["Model", *metrics, "n"]
    body = [
        [
            display_name(model),
            *(_cell(gains[model].get(m)) for m in metrics),
            "/".join(dict.fromkeys(str(gains[model][m]["n"]) for m in metrics if m in gains[model])),
        ]
        for model in gains
    ]
    return title + grid(header, [body]) + "\n" + "\n".join(average_lines(gains)) + "\n"


def gain_latex(gains: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """A booktabs tabular: one row per model, `$+g$ [lo, hi]` per metric, the average last."""
    metrics = [m for m in METRIC_ORDER if any(m in g for g in gains.values())] or list(METRIC_ORDER)
    lines = [
        r"\begin{tabular}{l" + "c" * len(metrics) + "}",
        r"\toprule",
        "Model & " + " & ".join(f"$\\Delta$ {latex_escape(m)} [95\\% CI]" for m in metrics) + r" \\",
        r"\midrule",
    ]
    for model, row in gains.items():
        cells = [
            MISSING
            if (g := row.get(m)) is None
            else f"${g['gain']:+.2f}$ [${g['ci_low']:+.2f}$, ${g['ci_high']:+.2f}$]"
            for m in metrics
        ]
        lines.append(f"{latex_name(model)} & " + " & ".join(cells) + r" \\")
    averages = average_gains(gains)
    if averages:
        lines += [
            r"\midrule",
            "Average & "
            + " & ".join(f"${averages[m]['mean_gain']:+.2f}$" if m in averages else MISSING for m in metrics)
            + r" \\",
        ]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_icl_gain(
    results_dir: str | Path,
    results: Sequence[Result],
    generate_table: bool = False,
    n_boot: int = 1000,
    seed: int = 42,
    figures_dir: str | Path | None = None,
    cells: Mapping[str, Any] | None = None,
    outcomes: list[Outcomes] | None = None,
) -> Gains:
    """Write icl_gain.txt and icl_gain.json (and icl_gain.tex with `generate_table`) into
    `results_dir`, print the table and the average gain per metric, and return the gains.

    With `figures_dir`: the forest plot of the gains and, given `cells` (the shape of
    evaluation_results.json), the accuracy-per-model figure. Judge files are read again from
    `results_dir` unless `outcomes` are given; lines about unusable ones are left to the caller. Raises a UserError when the
    folder mixes SMMILE and SMMILE++ results.
    """
    folder = Path(results_dir)
    if outcomes is None:  # a caller that has them (variance_analysis) passes them in
        check_single_dataset(results, folder)
        outcomes, _ = collect_outcomes(list(results), folder)
    gains, notes = icl_gains(outcomes, n_boot=n_boot, seed=seed)
    for line in notes:
        print(line, file=sys.stderr)
    text = gain_text(gains, n_boot, seed)
    write_output(folder / "icl_gain.txt", text)
    write_output(folder / "icl_gain.json", json.dumps(gains, indent=2) + "\n")
    print("\n" + text, end="")
    if generate_table:
        write_output(folder / "icl_gain.tex", gain_latex(gains))
        print(f"ICL gain table written to {folder / 'icl_gain.tex'}")
    if figures_dir is not None:
        from .plots import accuracy_figure, figure_stem, icl_gain_figure

        drawn: list[Path] = []
        if cells:
            drawn += accuracy_figure(
                cells, figure_stem(figures_dir, folder, "accuracy_per_model_0shot_vs_ICL")
            )
        if gains:
            drawn += icl_gain_figure(gains, figure_stem(figures_dir, folder, "icl_gain_forest"))
        else:
            print("No ICL gain figure: no model has both 0-shot and ICL results")
        if drawn:
            print("Figures: " + ", ".join(str(p) for p in drawn))
    return gains
