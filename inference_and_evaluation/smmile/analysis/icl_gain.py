"""The ICL gain: ICL minus 0-shot accuracy per model and metric, with a paired bootstrap interval.

Only the problems present in both modes count, and the bootstrap resamples those problems (the
same draw for both modes), so the interval respects the pairing. Gains are in points; a model's
relative gain is its gain over its 0-shot accuracy, in percent.

The averages follow the paper's headline definition: per metric, the mean of the per-model gains
(absolute, points) and the mean of the per-model relative gains (percent), over the models a
`GainSelection` picks (`--gain-models`, `--gain-exclude`; by default every model with both modes).
Each average states the models it covers. `icl_gain.json`: {"gains": {model: {metric: {"gain",
"ci_low", "ci_high", "n", "accuracy_0-shot", "accuracy_ICL", "relative_gain"}}}, "selection":
{"models", "exclude"}, "averages": {metric: {"absolute": {"mean", "models"}, "relative": {"mean",
"models", "undefined"}, "left_out"}}}.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smmile.analysis.caveats import LEGEND, legend_lines, mark_text
from smmile.analysis.outcomes import Outcomes, collect_outcomes, paired
from smmile.analysis.stats import paired_bootstrap
from smmile.errors import UserError
from smmile.io import write_atomic
from smmile.present.tables import METRIC_ORDER, display_name, grid, latex_escape, latex_name, row_order
from smmile.results.naming import ACCURACY_FIGURE, GAIN_FIGURE, ICL_GAIN, figure_stem
from smmile.results.reader import Result, check_single_dataset

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
            "relative_gain": relative_gain(diff.diff, diff.base_accuracy),
        }
        marks = [m for m in LEGEND if any(m in (o.caveats.marks if o.caveats else ()) for o in (zero, icl))]
        if marks:  # a gain inherits the caveats of the two cells it is made of
            gains[model][metric]["marks"] = marks
    return {m: gains[m] for group in row_order(list(gains)) for m in group}, notes


def relative_gain(gain: float, base_accuracy: float | None) -> float | None:
    """The gain over the 0-shot accuracy, in percent; None when the 0-shot accuracy is 0 (or unknown)."""
    return None if not base_accuracy else gain / base_accuracy * 100.0


@dataclass(frozen=True)
class GainSelection:
    """Which models the averages cover: `models` (None: every model with a gain) minus `exclude`."""

    models: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

    def covers(self, model: str) -> bool:
        return (self.models is None or model in self.models) and model not in self.exclude

    def check(self, gains: Mapping[str, Any]) -> None:
        """A named model without an ICL gain is refused (a typo would silently change an average)."""
        for flag, names in (("--gain-models", self.models or ()), ("--gain-exclude", self.exclude)):
            unknown = [m for m in names if m not in gains]
            if unknown:
                have = ", ".join(gains) or "none"
                raise UserError(f"{flag}: no ICL gain for {', '.join(unknown)} (models with one: {have})")

    def describe(self) -> dict[str, Any]:
        return {
            "models": list(self.models) if self.models is not None else None,
            "exclude": list(self.exclude),
        }


ALL_MODELS = GainSelection()


def _relative(g: Mapping[str, Any]) -> float | None:
    if "relative_gain" in g:
        return g["relative_gain"]
    return relative_gain(g["gain"], g.get("accuracy_0-shot"))


def average_gains(
    gains: Mapping[str, Mapping[str, Mapping[str, Any]]], selection: GainSelection = ALL_MODELS
) -> dict[str, dict[str, Any]]:
    """Per metric: the mean gain and the mean relative gain over the selected models that have one.

    {metric: {"mean_gain", "models" (how many), "absolute": {"mean", "models" [ids]}, "relative":
    {"mean" (None when no model has one), "models" [ids], "undefined" [ids: 0-shot accuracy 0]},
    "left_out" [ids the selection leaves out]}}
    """
    out: dict[str, dict[str, Any]] = {}
    for metric in METRIC_ORDER:
        having = [m for m, g in gains.items() if metric in g]
        chosen = [m for m in having if selection.covers(m)]
        if not chosen:
            continue
        absolute = sum(gains[m][metric]["gain"] for m in chosen) / len(chosen)
        rel = {m: _relative(gains[m][metric]) for m in chosen}
        defined = [m for m in chosen if rel[m] is not None]
        out[metric] = {
            "mean_gain": absolute,
            "models": len(chosen),
            "absolute": {"mean": absolute, "models": chosen},
            "relative": {
                "mean": sum(rel[m] for m in defined) / len(defined) if defined else None,  # type: ignore[misc]
                "models": defined,
                "undefined": [m for m in chosen if rel[m] is None],
            },
            "left_out": [m for m in having if m not in chosen],
        }
    return out


def _cell(g: Mapping[str, Any] | None) -> str:
    if g is None:
        return MISSING
    return f"{g['gain']:+.2f} [{g['ci_low']:+.2f}, {g['ci_high']:+.2f}]{mark_text(g.get('marks', ()))}"


def _used_marks(gains: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    seen = {m for row in gains.values() for g in row.values() for m in g.get("marks", ())}
    return [m for m in LEGEND if m in seen]


def average_lines(
    gains: Mapping[str, Mapping[str, Mapping[str, Any]]], selection: GainSelection = ALL_MODELS
) -> list[str]:
    """Each metric's averages, with the models each one covers."""
    lines = []
    for metric, a in average_gains(gains, selection).items():
        rel = a["relative"]
        relative = (
            f"relative {rel['mean']:+.1f}% across {len(rel['models'])} model(s) (mean of per-model relative gains)"
            if rel["mean"] is not None
            else "relative: none (no selected model has a 0-shot accuracy above 0)"
        )
        lines.append(
            f"Average ICL gain across {a['models']} model(s), {metric}: {a['mean_gain']:+.2f} points; {relative}"
        )
        lines.append(f"  covers: {', '.join(a['absolute']['models'])}")
        if rel["undefined"]:
            lines.append(f"  relative leaves out (0-shot accuracy 0): {', '.join(rel['undefined'])}")
        if a["left_out"]:
            lines.append(f"  left out by the selection: {', '.join(a['left_out'])}")
    return lines


def gain_text(
    gains: Mapping[str, Mapping[str, Mapping[str, Any]]],
    n_boot: int,
    seed: int,
    selection: GainSelection = ALL_MODELS,
) -> str:
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
    legend = legend_lines(_used_marks(gains))
    legend_text = "\n".join(legend) + "\n" if legend else ""
    return (
        title + grid(header, [body]) + legend_text + "\n" + "\n".join(average_lines(gains, selection)) + "\n"
    )


def gain_latex(
    gains: Mapping[str, Mapping[str, Mapping[str, Any]]], selection: GainSelection = ALL_MODELS
) -> str:
    """A booktabs tabular: one row per model, `$+g$ [lo, hi]` per metric, then the average gain and
    the average relative gain, and a note naming the models each average covers."""
    metrics = [m for m in METRIC_ORDER if any(m in g for g in gains.values())] or list(METRIC_ORDER)
    used = _used_marks(gains)
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
            + "".join(f"\\footnotemark[{used.index(k) + 1}]" for k in g.get("marks", ()))
            for m in metrics
        ]
        lines.append(f"{latex_name(model)} & " + " & ".join(cells) + r" \\")
    averages = average_gains(gains, selection)
    if averages:

        def relative(m: str) -> str:
            mean = averages[m]["relative"]["mean"] if m in averages else None
            return MISSING if mean is None else f"${mean:+.1f}\\%$"

        lines += [
            r"\midrule",
            "Average & "
            + " & ".join(f"${averages[m]['mean_gain']:+.2f}$" if m in averages else MISSING for m in metrics)
            + r" \\",
            "Average relative & " + " & ".join(relative(m) for m in metrics) + r" \\",
        ]
    lines.append(r"\bottomrule")
    for metric, a in averages.items():
        covered = ", ".join(latex_name(m) for m in a["absolute"]["models"])
        note = f"{latex_escape(metric)} averages over {a['models']} model(s): {covered}"
        if a["relative"]["undefined"]:
            note += "; relative without " + ", ".join(latex_name(m) for m in a["relative"]["undefined"])
        lines.append(f"\\multicolumn{{{len(metrics) + 1}}}{{l}}{{\\footnotesize {note}}} \\\\")
    lines.append(r"\end{tabular}")
    lines += [f"\\footnotetext[{i}]{{{latex_escape(LEGEND[m])}}}" for i, m in enumerate(used, start=1)]
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
    selection: GainSelection = ALL_MODELS,
) -> Gains:
    """Write icl_gain.txt and icl_gain.json (and icl_gain.tex with `generate_table`) into
    `results_dir`, print the table and the average gain per metric, and return the gains.

    With `figures_dir`: the forest plot of the gains and, given `cells` (the shape of
    evaluation_results.json), the accuracy-per-model figure. Judge files are read again from
    `results_dir` unless `outcomes` are given; lines about unusable ones are left to the caller.
    `selection` picks the models of the averages. Raises a UserError when the folder mixes SMMILE
    and SMMILE++ results, or when the selection names a model without a gain.
    """
    folder = Path(results_dir)
    if outcomes is None:  # a caller that has them (variance_analysis) passes them in
        check_single_dataset(results, folder)
        outcomes, _ = collect_outcomes(list(results), folder)
    gains, notes = icl_gains(outcomes, n_boot=n_boot, seed=seed)
    selection.check(gains)
    for line in notes:
        print(line, file=sys.stderr)
    text = gain_text(gains, n_boot, seed, selection)
    document = {
        "gains": gains,
        "selection": selection.describe(),
        "averages": average_gains(gains, selection),
    }
    write_atomic(folder / ICL_GAIN.txt, text)
    write_atomic(folder / ICL_GAIN.json, json.dumps(document, indent=2) + "\n")
    print("\n" + text, end="")
    if generate_table:
        write_atomic(folder / ICL_GAIN.tex, gain_latex(gains, selection))
        print(f"ICL gain table written to {folder / ICL_GAIN.tex}")
    if figures_dir is not None:
        from smmile.present.plots import accuracy_figure, icl_gain_figure

        drawn: list[Path] = []
        if cells:
            drawn += accuracy_figure(cells, figure_stem(figures_dir, folder, ACCURACY_FIGURE))
        if gains:
            drawn += icl_gain_figure(gains, figure_stem(figures_dir, folder, GAIN_FIGURE))
        else:
            print("No ICL gain figure: no model has both 0-shot and ICL results")
        if drawn:
            print("Figures: " + ", ".join(str(p) for p in drawn))
    return gains
