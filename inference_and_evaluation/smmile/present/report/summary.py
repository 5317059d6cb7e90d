"""The report's summary table: each row's accuracy with its interval and n, the marks of its
caveats, and the paper's value beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smmile.analysis.caveats import LEGEND, Caveats, legend_lines
from smmile.analysis.order import in_row_order
from smmile.analysis.outcomes import Outcomes, collect_outcomes, unjudged_cells
from smmile.analysis.paper_compare import TOLERANCE
from smmile.analysis.stats import BootstrapResult, bootstrap
from smmile.data.paper_tables import PaperCell, PaperTable
from smmile.present.tables import COLUMNS, display_name
from smmile.results.reader import Result
from smmile.results.scores import JudgeFiles

Column = tuple[str, str]  # (metric, mode)
N_BOOT = 1000
SEED = 42


@dataclass(frozen=True)
class Marks:
    """A cell's caveats: its n, its marks (`a,e`) and the facts behind them."""

    n: int
    marks: str
    details: str


@dataclass(frozen=True)
class PaperNote:
    """The paper's value under ours. `ours_of`: (our n, the paper's problems) when ours covers
    fewer problems, so no difference is marked; `far`: more than TOLERANCE apart."""

    value: float
    sd: float | None
    ours_of: tuple[int, int] | None = None
    far: bool = False


@dataclass(frozen=True)
class SummaryCell:
    score: BootstrapResult | None
    marks: Marks | None
    paper: PaperNote | None


@dataclass(frozen=True)
class SummaryRow:
    label: str
    cells: tuple[SummaryCell, ...]


@dataclass(frozen=True)
class Summary:
    """The table's columns and rows, the paper's provenance (empty without it) and one legend
    line per mark used."""

    columns: tuple[Column, ...]
    rows: tuple[SummaryRow, ...]
    paper_note: str
    legend: tuple[str, ...]


def run_label(model: str, ablation: str | None) -> str:
    """A run as the page names it: the model's display name, its ablation in brackets."""
    return display_name(model) + (f" [{ablation}]" if ablation else "")


def _label(o: Outcomes) -> str:
    return run_label(o.key.model, o.key.ablation)


def _scores(outcomes: Sequence[Outcomes]) -> dict[str, dict[Column, BootstrapResult]]:
    """{row label: {column: bootstrap}}; ablation runs get rows of their own."""
    models = in_row_order([o.key.model for o in outcomes])
    rank = {m: i for i, m in enumerate(models)}
    rows: dict[str, dict[Column, BootstrapResult]] = {}
    for o in sorted(outcomes, key=lambda o: (rank[o.key.model], o.key.ablation or "")):
        rows.setdefault(_label(o), {})[(o.metric, o.key.inference_mode)] = bootstrap(o.vector, N_BOOT, SEED)
    return rows


def _caveats(
    outcomes: Sequence[Outcomes], results: Sequence[Result], judged: JudgeFiles
) -> dict[str, dict[Column, Caveats]]:
    """{row label: {column: caveats}} of the scored cells, and of the plain LLM cells without a
    score (unjudged records)."""
    out: dict[str, dict[Column, Caveats]] = {}
    for o in outcomes:
        if o.caveats is not None:
            out.setdefault(_label(o), {})[(o.metric, o.key.inference_mode)] = o.caveats
    for (model, metric, mode), caveats in unjudged_cells(list(results), judged).items():
        out.setdefault(display_name(model), {})[(metric, mode)] = caveats
    return out


def _paper_cells(results: Sequence[Result], table: PaperTable | None) -> dict[str, dict[Column, PaperCell]]:
    """{row label: {column: the paper's cell}} for the plain rows of models in `table`."""
    out: dict[str, dict[Column, PaperCell]] = {}
    for model in {r.key.model for r in results if r.key is not None and r.key.ablation is None}:
        for metric, mode in COLUMNS:
            cell = table.cell(model, metric, mode) if table else None
            if cell is not None:
                out.setdefault(display_name(model), {})[(metric, mode)] = cell
    return out


def _marks(caveats: Caveats | None) -> Marks | None:
    if caveats is None:
        return None
    return Marks(caveats.n, ",".join(caveats.marks), "; ".join(caveats.details()))


def _paper_note(ours: BootstrapResult | None, paper: PaperCell | None, problems: int) -> PaperNote | None:
    if paper is None:
        return None
    if ours is not None and ours.n != problems:
        return PaperNote(paper.value, paper.sd, ours_of=(ours.n, problems))
    far = ours is not None and abs(ours.accuracy - paper.value) > TOLERANCE
    return PaperNote(paper.value, paper.sd, far=far)


def _provenance(table: PaperTable) -> str:
    return (
        f" Paper: the value in the paper's {table.table} ({table.dataset_name}), a mean of "
        f"{table.bootstrap_resamples} bootstrap means ± SD; ≠ marks a cell more than {TOLERANCE:g} points "
        "from it (compare_paper.py says by how many answers and whether the bootstrap explains it)."
    )


def build_summary(results: Sequence[Result], judged: JudgeFiles, table: PaperTable | None) -> Summary:
    """The summary of `results` (with their judge files), beside the paper's `table`."""
    outcomes, _ = collect_outcomes(list(results), judged)
    scores = _scores(outcomes)
    caveats = _caveats(outcomes, results, judged)
    paper = _paper_cells(results, table)
    columns = tuple(c for c in COLUMNS if any(c in cells for cells in [*scores.values(), *caveats.values()]))
    problems = table.problems if table else 0
    rows = tuple(
        SummaryRow(
            label,
            tuple(
                SummaryCell(
                    scores.get(label, {}).get(column),
                    _marks(caveats.get(label, {}).get(column)),
                    _paper_note(
                        scores.get(label, {}).get(column), paper.get(label, {}).get(column), problems
                    ),
                )
                for column in columns
            ),
        )
        for label in dict.fromkeys([*scores, *caveats])
    )
    used = {m for cells in caveats.values() for c in cells.values() for m in c.marks}
    return Summary(
        columns=columns,
        rows=rows,
        paper_note=_provenance(table) if paper and table else "",
        legend=tuple(legend_lines([m for m in LEGEND if m in used])),
    )
