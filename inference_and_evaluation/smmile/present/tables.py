"""The paper's tables as text and LaTeX (rows and columns in `analysis.order`'s order).

`cells` are those of evaluation_results.json (`outputs.Cells`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from smmile.analysis.caveats import LEGEND, legend_lines, mark_text
from smmile.analysis.order import (
    DISPLAY_NAMES,
    METRIC_ORDER,
    METRICS_WITH_STRICT,
    MODE_ORDER,
    display_name,
    in_row_order,
    row_order,
)
from smmile.results.evaluations import is_complete
from smmile.results.outputs import Cells

COLUMNS: tuple[tuple[str, str], ...] = tuple((m, mode) for m in METRIC_ORDER for mode in MODE_ORDER)
MISSING = "-"

_LATEX_SPECIAL = {
    **{c: "\\" + c for c in "&%$#_{}"},
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: object) -> str:
    """`text` as LaTeX prints it literally: each of `\\ & % $ # _ { } ~ ^` escaped. Every piece of
    text a LaTeX table takes from the data (model ids, ablation tags, notes) goes through here."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in str(text))


def latex_name(model: str) -> str:
    """The LaTeX display name; an unknown model shows its id (escaped)."""
    if model in DISPLAY_NAMES:
        return DISPLAY_NAMES[model]
    return latex_escape(model)


def _cell(cells: Cells, model: str, column: tuple[str, str]) -> Mapping[str, Any] | None:
    return cells.get(model, {}).get(column[0], {}).get(column[1])


def grid(header: list[str], blocks: Sequence[list[list[str]]]) -> str:
    """Fixed-width columns; a rule under the header and between non-empty blocks of rows."""
    blocks = [b for b in blocks if b]
    widths = [max(len(r[i]) for r in [header, *(r for b in blocks for r in b)]) for i in range(len(header))]

    def line(cols: list[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()

    rule = "-" * len(line(header))
    out = [line(header)]
    for block in blocks:
        out += [rule, *(line(r) for r in block)]
    return "\n".join(out) + "\n"


Unscored = Mapping[tuple[str, str, str], Any]  # (model, metric, mode) -> Caveats of a cell without a score
NO_SCORE = "no score"


def _marks(c: Mapping[str, Any] | None) -> list[str]:
    return list(c.get("marks", ())) if c else []


def columns_of(metrics: Sequence[str] = METRIC_ORDER) -> list[tuple[str, str]]:
    return [(m, mode) for m in metrics for mode in MODE_ORDER]


def text_table(cells: Cells, unscored: Unscored | None = None, metrics: Sequence[str] = METRIC_ORDER) -> str:
    """Fixed-width table: `mean ± sd n=N` per cell (marks in brackets), `-` where a cell is
    missing, `no score` where it cannot be computed (unjudged records); the legend of the marks
    used follows the table. `metrics`: the column groups (the paper's, or with `EM strict`)."""
    unscored = unscored or {}
    columns = columns_of(metrics)

    def text(model: str, column: tuple[str, str]) -> str:
        c = _cell(cells, model, column)
        if c is not None:
            return f"{c['accuracy']:.2f} ± {c['std']:.2f} n={c['n']}{mark_text(_marks(c))}"
        missing = unscored.get((model, *column))
        return MISSING if missing is None else f"{NO_SCORE} n={missing.n}{mark_text(missing.marks)}"

    models = list(dict.fromkeys([*cells, *(m for m, _, _ in unscored)]))
    header = ["Model", *(f"{metric} {mode}" for metric, mode in columns)]
    body = [
        [[display_name(m), *(text(m, col) for col in columns)] for m in group] for group in row_order(models)
    ]
    used = _used(_all_cells(cells), unscored)
    legend = legend_lines(used)
    return grid(header, body) + ("\n" + "\n".join(legend) + "\n" if legend else "")


def interval_lines(cells: Cells, unscored: Unscored | None = None) -> list[str]:
    """One line per cell: mean ± SD, the interval, n, and the cell's marks and caveats."""
    unscored = unscored or {}
    lines = []
    models = list(dict.fromkeys([*cells, *(m for m, _, _ in unscored)]))
    for model in in_row_order(models):
        for metric, mode in columns_of(METRICS_WITH_STRICT):
            c = cells.get(model, {}).get(metric, {}).get(mode)
            caveats = "; ".join(c.get("caveats", ())) if c else ""
            if c:
                lines.append(
                    f"{display_name(model)} {metric} {mode}: {c['accuracy']:.2f} ± {c['std']:.2f} "
                    f"(95% CI {c['ci_low']:.2f} to {c['ci_high']:.2f}; n={c['n']})"
                    + (f"{mark_text(c['marks'])}: {caveats}" if c.get("marks") else "")
                )
            elif (model, metric, mode) in unscored:
                missing = unscored[(model, metric, mode)]
                lines.append(
                    f"{display_name(model)} {metric} {mode}: {NO_SCORE}{mark_text(missing.marks)}: "
                    + "; ".join(missing.details())
                )
    return lines


def evaluation_results_text(
    cells: Cells, unscored: Unscored, metrics: Sequence[str], n_boot: int, seed: int
) -> str:
    """evaluation_results.txt: the table (`text_table`), then one line per cell (`interval_lines`)."""
    return (
        f"Accuracy (%) ± bootstrap SD ({n_boot} resamples, seed {seed})\n\n"
        + text_table(cells, unscored, metrics)
        + "\n"
        + "\n".join(interval_lines(cells, unscored))
        + "\n"
    )


def _used(cells: Sequence[Mapping[str, Any]], unscored: Unscored) -> list[str]:
    """The caveat marks the cells (and the unscored cells) carry, in legend order."""
    seen = {m for c in cells for m in _marks(c)} | {m for c in unscored.values() for m in c.marks}
    return [m for m in LEGEND if m in seen]


def _all_cells(cells: Cells) -> list[Mapping[str, Any]]:
    return [c for metrics in cells.values() for modes in metrics.values() for c in modes.values()]


def latex_table(
    cells: Cells,
    mean_only: bool = False,
    extra: Cells | None = None,
    unscored: Unscored | None = None,
    metrics: Sequence[str] = METRIC_ORDER,
) -> str:
    """A booktabs tabular: two header rows, baselines, `\\midrule`, the models, `\\bottomrule`.

    `extra` rows (e.g. new models beside the paper's) follow the models after a `\\midrule`. A cell's
    optional "mark" (LaTeX math, e.g. `^\\dagger`) is appended to its value. A cell's caveat
    "marks" (`caveats.LEGEND`) become footnote marks, their text `\\footnotetext` after the tabular;
    a cell whose n differs from the table's usual n shows it, and a line under the table gives the usual n.
    """
    unscored = unscored or {}
    columns = columns_of(metrics)
    baselines, others = row_order(list(dict.fromkeys([*cells, *(m for m, _, _ in unscored)])))
    every = [*_all_cells(cells), *_all_cells(extra or {})]
    used = _used(every, unscored)
    number = {m: i for i, m in enumerate(used, start=1)}
    ns = Counter(int(c["n"]) for c in every if "n" in c)
    usual = ns.most_common(1)[0][0] if ns else None

    def notes(marks: Sequence[str], n: int | None) -> str:
        shown = f" {{\\scriptsize $n{{=}}{n}$}}" if n is not None and usual is not None and n != usual else ""
        return shown + "".join(f"\\footnotemark[{number[m]}]" for m in marks)

    def row(model: str, source: Cells = cells) -> str:
        parts = [latex_name(model)]
        for column in columns:
            c = _cell(source, model, column)
            mark = c.get("mark", "") if c is not None else ""
            if c is None:
                missing = unscored.get((model, *column)) if source is cells else None
                parts.append(MISSING if missing is None else MISSING + notes(missing.marks, missing.n))
                continue
            if mean_only:
                value = f"${c['accuracy']:.2f}{mark}$" if mark else f"{c['accuracy']:.2f}"
            else:
                value = f"${c['accuracy']:.2f} \\pm \\scriptstyle{{{c['std']:.2f}}}{mark}$"
            parts.append(value + notes(_marks(c), c.get("n")))
        return " & ".join(parts) + r" \\"

    groups = " & ".join(f"\\multicolumn{{2}}{{c}}{{{latex_escape(m)}}}" for m in metrics)
    spans = " ".join(f"\\cmidrule(lr){{{2 + 2 * i}-{3 + 2 * i}}}" for i in range(len(metrics)))
    lines = [
        r"\begin{tabular}{l" + "c" * len(columns) + "}",
        r"\toprule",
        f" & {groups} \\\\",
        spans,
        "Model & " + " & ".join(mode for _, mode in columns) + r" \\",
        r"\midrule",
        *(row(m) for m in baselines),
    ]
    if baselines and others:
        lines.append(r"\midrule")
    lines += [*(row(m) for m in others)]
    if extra:
        lines += [r"\midrule", *(row(m, extra) for m in in_row_order(list(extra)))]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if usual is not None and (used or len(ns) > 1):  # printed under the table, not only in the source
        lines.append(f"\\par{{\\footnotesize $n={usual}$ problems per cell unless shown.}}")
    lines += [f"\\footnotetext[{number[m]}]{{{latex_escape(LEGEND[m])}}}" for m in used]
    return "\n".join(lines) + "\n"


def evaluation_notes(evaluation: Mapping[str, Any]) -> list[str]:
    """What a reader of one evaluation's row must know: unjudged records (no score), MCQA replies
    no option could be read from."""
    notes = []
    if not is_complete(evaluation):
        notes.append(f"incomplete: {evaluation.get('unjudged_count', '?')} unjudged, no score")
    if evaluation.get("unreadable_count"):
        notes.append(
            f"{evaluation['unreadable_count']} unreadable (EXTRACTION_FAILED "
            f"{evaluation.get('extraction_failed_count', '?')}, INVALID_OPTION "
            f"{evaluation.get('invalid_option_count', '?')})"
        )
    return notes


def comparison_table(
    evaluations: Sequence[Mapping[str, Any]], extra_notes: Sequence[Sequence[str]] | None = None
) -> str:
    """model_comparison.txt: a block per metric and mode, rows by accuracy (best first); a row
    without a score (incomplete) shows `incomplete` and comes last; a Notes column when any row
    has notes (its own, `evaluation_notes`, and `extra_notes`, one list per evaluation)."""

    def group(e: Mapping[str, Any]) -> tuple[int, int, str, str]:
        metric, mode = str(e.get("metric", "EM")), str(e.get("inference_mode", ""))
        return (
            METRIC_ORDER.index(metric) if metric in METRIC_ORDER else len(METRIC_ORDER),
            MODE_ORDER.index(mode) if mode in MODE_ORDER else len(MODE_ORDER),
            metric,
            mode,
        )

    def score(e: Mapping[str, Any]) -> float:
        return float("inf") if e.get("accuracy") is None else -float(e["accuracy"])

    extra = list(extra_notes) if extra_notes is not None else [[] for _ in evaluations]
    notes = {id(e): [*evaluation_notes(e), *x] for e, x in zip(evaluations, extra, strict=True)}
    with_notes = any(notes.values())
    blocks: dict[tuple[int, int, str, str], list[list[str]]] = {}
    for e in sorted(evaluations, key=lambda e: (group(e), score(e), _label(e))):
        row = [
            _label(e),
            str(e.get("metric", "EM")),
            str(e.get("inference_mode", "")),
            "incomplete" if e.get("accuracy") is None else f"{e['accuracy']:.2f}",
            f"{e['excluded_count']}/{e['total_examples']}",
            str(e["err_count"]),
            f"{e['word_count']:.2f}",
        ]
        blocks.setdefault(group(e), []).append(row + (["; ".join(notes[id(e)])] if with_notes else []))
    header = ["Model", "Metric", "Mode", "Accuracy (%)", "Excluded/Total", "Errors", "Word count"]
    return "MODEL COMPARISON\n\n" + grid(header + (["Notes"] if with_notes else []), list(blocks.values()))


def _label(evaluation: Mapping[str, Any]) -> str:
    ablation = evaluation.get("ablation")
    return f"{evaluation['model']} [{ablation}]" if ablation else str(evaluation["model"])
