"""The ICL gain as text and as a LaTeX table (the gains: `analysis.icl_gain`)."""

from __future__ import annotations

from smmile.analysis.caveats import LEGEND, legend_lines, mark_text
from smmile.analysis.icl_gain import ALL_MODELS, GainSelection, average_gains
from smmile.analysis.order import METRIC_ORDER, display_name
from smmile.present.tables import grid, latex_escape, latex_name
from smmile.results.outputs import Gain, Gains

MISSING = "-"


def _cell(g: Gain | None) -> str:
    if g is None:
        return MISSING
    return f"{g['gain']:+.2f} [{g['ci_low']:+.2f}, {g['ci_high']:+.2f}]{mark_text(g.get('marks', ()))}"


def _used_marks(gains: Gains) -> list[str]:
    seen = {m for row in gains.values() for g in row.values() for m in g.get("marks", ())}
    return [m for m in LEGEND if m in seen]


def average_lines(gains: Gains, selection: GainSelection = ALL_MODELS) -> list[str]:
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
    gains: Gains,
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


def gain_latex(gains: Gains, selection: GainSelection = ALL_MODELS) -> str:
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
