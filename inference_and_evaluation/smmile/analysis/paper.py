"""Which of the paper's datasets a folder's results answer (the tables: `data.paper_tables`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smmile.results.reader import Result


def dataset_of_records(ids: set[str], problem_ids: list[str]) -> str:
    """The paper dataset that results with these record dataset ids and problem ids come from:
    "augmented" when the problems are SMMILE++ permutations (`<uuid>_perm_<k>`), "demo" for the
    bundled demo, else "smmile"."""
    from smmile.data.sources import DEMO_ID
    from smmile.types import base_problem_id

    if DEMO_ID in ids:
        return "demo"
    if any(base_problem_id(p) != p for p in problem_ids):
        return "augmented"
    return "smmile"


def dataset_of_results(results: Iterable[Result]) -> str:
    """`dataset_of_records` of a folder's results."""
    results = list(results)
    return dataset_of_records(
        {rec.dataset for r in results for rec in r.records if rec.dataset},
        [rec.problem_id for r in results for rec in r.records],
    )
