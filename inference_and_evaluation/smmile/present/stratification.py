"""The stratification as text: one fixed-width table per flag (the table: `analysis.stratification`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from smmile.analysis.caveats import LEGEND, legend_lines, mark_text
from smmile.analysis.order import display_name
from smmile.analysis.stratification import flag_values, table_flags
from smmile.present.tables import grid
from smmile.results.outputs import Stratification

MISSING_CELL = "--"


def row_label(label: str) -> str:
    model, mode = label.rsplit(":", 1)
    return f"{display_name(model)} {mode}"


def stratification_text(
    table: Stratification, metric: str, marks: Mapping[str, Sequence[str]] | None = None
) -> str:
    """One fixed-width table per flag: rows model and mode (with their caveat marks), columns
    values, each cell `accuracy (n problems)`; `--` where none. The legend of the marks used follows."""
    marks = marks or {}
    blocks = []
    for flag in table_flags(table):
        values = flag_values(table, flag)
        rows = []
        for label, entry in table.items():
            acc, total = entry.get(f"{flag}_accuracy", {}), entry.get(f"{flag}_total", {})
            rows.append(
                [
                    row_label(label) + mark_text(marks.get(label, ())),
                    *(f"{acc[v]:.1f} ({total.get(v, '?')})" if v in acc else MISSING_CELL for v in values),
                ]
            )
        totals = [
            str(max((e.get(f"{flag}_total", {}).get(v, 0) for e in table.values()), default=0))
            for v in values
        ]
        header = [f"{flag} ({metric} %)", *values]
        blocks.append(grid(header, [rows, [["n (problems)", *totals]]]))
    used = [m for m in LEGEND if any(m in v for v in marks.values())]
    legend = legend_lines(used)
    return "\n".join(blocks) + ("\n" + "\n".join(legend) + "\n" if legend else "")
