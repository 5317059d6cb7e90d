"""The comparison with the paper as text, and the paper's table with a folder's new rows in LaTeX."""

from __future__ import annotations

from typing import Any

from smmile.analysis.paper_compare import DIFFERS, INCOMPLETE, NEW, NOT_RUN, CellComparison, Comparison
from smmile.data.paper_tables import PaperTable
from smmile.present.tables import COLUMNS, display_name, grid, latex_table

DASH = "-"


def _pm(value: float | None, sd: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.2f}" + ("" if sd is None else f" ± {sd:.2f}")


def _signed(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:+.{digits}f}"


def _answers(c: CellComparison) -> str:
    if c.answers is None:
        return DASH
    return f"{c.answers:+.1f} ({c.correct} vs {c.paper_correct:.1f})"


def _explained(c: CellComparison) -> str:
    if c.explained is None:
        return DASH
    return f"{'yes' if c.explained else 'no'} (±{c.bootstrap_noise:.2f})"


def _row(c: CellComparison) -> list[str]:
    ours = DASH if c.ours is None else f"{_pm(c.ours, c.ours_sd)} (n={c.n})"
    status = c.status + (f"; {'; '.join(c.notes)}" if c.notes else "")
    return [
        display_name(c.model),
        f"{c.metric} {c.mode}",
        _pm(c.paper, c.paper_sd),
        ours,
        _signed(c.diff),
        _answers(c),
        _explained(c),
        status,
    ]


def _sentence(c: CellComparison, problems: int) -> str:
    assert c.diff is not None and c.answers is not None
    verdict = (
        "within the bootstrap noise of the paper's mean"
        if c.explained
        else "beyond the bootstrap noise of the paper's mean: other answers (another run), not resampling"
    )
    return (
        f"  {display_name(c.model)} {c.metric} {c.mode}: paper {_pm(c.paper, c.paper_sd)}, ours {c.ours:.2f}: "
        f"{c.diff:+.3f} points = {c.answers:+.1f} answers ({c.correct} of {c.n} right; the paper's mean is "
        f"{c.paper_correct:.1f}); {verdict} (±{c.bootstrap_noise:.2f})"
    )


def comparison_text(comp: Comparison) -> str:
    """The whole comparison: how to read it, one row per cell by model, then what differs."""
    s = comp.summary()
    head = [
        f"Comparison with the paper's {comp.table} ({comp.dataset_name}, {comp.problems} problems)",
        f"Source: {comp.source}",
        f"Paper: the mean of {comp.bootstrap_resamples:,} bootstrap means ± their SD. Ours: the observed accuracy ± our",
        "bootstrap SD. Diff: ours - paper, in points. Answers: the diff as answers (our right answers vs the paper's",
        f"mean as answers). A cell differs when it is more than {comp.tolerance:g} points from the paper. Bootstrap explains:",
        f"whether the diff is within {comp.z:g} SDs of the resampling noise of the paper's mean "
        f"(SD/sqrt({comp.bootstrap_resamples})), given after",
        "the answer; beyond it, the paper's value came from other answers (another run), not from resampling.",
        *(f"Note: {n}" for n in comp.paper_notes),
        "",
    ]
    header = ["Model", "Cell", "Paper", "Ours", "Diff", "Answers", "Bootstrap explains", "Status"]
    blocks: dict[str, list[list[str]]] = {}
    in_folder = {c.model for c in comp.cells if c.ours is not None}
    for c in comp.cells:  # the paper's models the folder lacks are named at the end
        if c.model in in_folder:
            blocks.setdefault(c.model, []).append(_row(c))
    lines = [*head, grid(header, list(blocks.values()))]
    lines.append(
        f"{s['differ']} of {s['compared']} cells differ from the paper by more than {comp.tolerance:g} points; "
        f"the bootstrap explains {s['differ_explained_by_bootstrap']} of them."
        + (
            f" {s['agree_beyond_bootstrap']} cell(s) within {comp.tolerance:g} points are beyond the bootstrap noise."
            if s["agree_beyond_bootstrap"]
            else ""
        )
    )
    differing = comp.with_status(DIFFERS)
    if differing:
        lines += ["", "Differing cells:", *(_sentence(c, comp.problems) for c in differing)]
    incomplete = comp.with_status(INCOMPLETE)
    if incomplete:
        lines += [
            "",
            f"Not compared, incomplete ({len(incomplete)}): "
            + "; ".join(
                f"{display_name(c.model)} {c.metric} {c.mode} ({', '.join(c.notes)})" for c in incomplete
            ),
        ]
    missing = comp.with_status(NOT_RUN)
    if missing:
        models = list(dict.fromkeys(display_name(c.model) for c in missing))
        lines += ["", f"Paper cells with no result in the folder: {len(missing)} ({', '.join(models)})"]
    if s["new_models"]:
        lines += ["", f"Models not in the paper: {', '.join(s['new_models'])}"]
    return "\n".join(lines) + "\n"


def _as_cell(value: float, sd: float | None, mark: str = "") -> dict[str, Any]:
    return {"accuracy": value, "std": sd or 0.0, "mark": mark}


def combined_latex(comp: Comparison, table: PaperTable, mean_only: bool = False) -> str:
    """The paper's rows (its values) and, below them, the rows of the folder's models the paper lacks.

    A new row's cell computed from fewer problems than the table's, or from error records, is
    marked with a dagger.
    """
    paper: dict[str, dict[str, dict[str, Any]]] = {}
    for (model, metric, mode), cell in table.cells.items():
        if (metric, mode) in COLUMNS:
            paper.setdefault(model, {}).setdefault(metric, {})[mode] = _as_cell(cell.value, cell.sd)
    new: dict[str, dict[str, dict[str, Any]]] = {}
    marked = False
    for c in comp.cells:
        if c.status == NEW and c.ours is not None:
            mark = r"^\dagger" if c.notes else ""
            marked = marked or bool(mark)
            new.setdefault(c.model, {}).setdefault(c.metric, {})[c.mode] = _as_cell(c.ours, c.ours_sd, mark)
    omitted = ", ".join(f"{o.mode} {o.metric} (at most {o.at_most:g})" for o in table.omitted)
    comments = [
        f"% {table.table} ({table.dataset_name}) of {table.source}",
        f"% the paper's rows: bootstrap means over {table.bootstrap_resamples} resamples and their SD"
        + (f"; the paper omits {omitted}" if omitted else ""),
    ]
    if new:
        comments.append(
            "% below the last rule: models of this folder that the paper lacks (observed accuracy, bootstrap SD)"
        )
    if marked:
        comments.append(r"% $^\dagger$: computed from fewer problems than the table's, or with error records")
    return "\n".join(comments) + "\n" + latex_table(paper, mean_only=mean_only, extra=new or None)
