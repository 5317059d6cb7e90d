"""The paper's Table 1 (SMMILE) and Table 2 (SMMILE++), shipped as package data.

`paper_tables.json` beside this module holds, per table, every cell the paper printed (model,
metric, mode, value, plus_minus) with the paper it comes from. The values are bootstrap means over
1,000 resamples of the problems and the plus_minus is the bootstrap SD (the paper's Sec. 3.1); they
are not observed accuracies. Table 1 omits 0-shot EM (at most 3.65 for every model); Table 2
has no Claude 3.7 Sonnet; the Expert columns (expert ratings, Table 1) have no plus_minus.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_FILE = "paper_tables.json"
EXPERT = "Expert"


@dataclass(frozen=True)
class PaperCell:
    """One printed cell: a bootstrap mean (points) and its bootstrap SD (None: printed without)."""

    model: str
    paper_name: str
    metric: str
    mode: str
    value: float
    sd: float | None


@dataclass(frozen=True)
class Omitted:
    """A column the paper left out, with the bound it gave for every model."""

    metric: str
    mode: str
    at_most: float


@dataclass(frozen=True)
class PaperTable:
    """One of the paper's tables: its cells by (model, metric, mode) and how it was computed."""

    table: str  # "Table 1"
    dataset: str  # the harness's dataset name: "smmile" | "augmented"
    dataset_name: str  # "SMMILE" | "SMMILE++"
    problems: int
    source: str
    bootstrap_resamples: int
    notes: tuple[str, ...]
    omitted: tuple[Omitted, ...]
    cells: dict[tuple[str, str, str], PaperCell]

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(c.model for c in self.cells.values()))

    def cell(self, model: str, metric: str, mode: str) -> PaperCell | None:
        return self.cells.get((model, metric, mode))

    def omission(self, metric: str, mode: str) -> Omitted | None:
        return next((o for o in self.omitted if (o.metric, o.mode) == (metric, mode)), None)


@cache
def paper_tables() -> dict[str, PaperTable]:
    """{dataset name: table} read from the package data."""
    data = json.loads(resources.files("smmile.data").joinpath(DATA_FILE).read_text(encoding="utf-8"))
    tables = {}
    for t in data["tables"]:
        cells = {
            (c["model"], c["metric"], c["mode"]): PaperCell(
                c["model"], c["paper_name"], c["metric"], c["mode"], float(c["value"]), c["plus_minus"]
            )
            for c in t["cells"]
        }
        tables[t["dataset"]] = PaperTable(
            table=t["table"],
            dataset=t["dataset"],
            dataset_name=t["dataset_name"],
            problems=int(t["problems"]),
            source=data["source"],
            bootstrap_resamples=int(data["bootstrap_resamples"]),
            notes=tuple(t["notes"]),
            omitted=tuple(Omitted(o["metric"], o["mode"], float(o["at_most"])) for o in t["omitted"]),
            cells=cells,
        )
    return tables


def paper_table(dataset: str) -> PaperTable:
    """The paper's table of `dataset` ("smmile" or "augmented"); KeyError for any other."""
    return paper_tables()[dataset]


def table_for(dataset: str) -> PaperTable | None:
    """The paper's table of a folder's dataset (`analysis.paper.dataset_of_results`); None for the demo."""
    return None if dataset == "demo" else paper_table(dataset)
