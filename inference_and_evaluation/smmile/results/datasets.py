"""Which dataset a result answers (SMMILE, SMMILE++, the demo), and how many problems it has.

A result says so itself when its records name a known dataset id (the hub's, the demo's); the
authors' CSVs and results of a local copy (whose id is its folder) are known by their problem
ids: SMMILE++ ids end in `_perm_<k>`, the demo's are the bundled demo's, the rest are SMMILE's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from smmile.data.sources import DEMO_DIR, DEMO_ID, HUB_IDS
from smmile.types import base_problem_id

SMMILE, SMMILE_PP, DEMO = "SMMILE", "SMMILE++", "demo"
PROBLEM_COUNTS = {SMMILE: 111, SMMILE_PP: 1038, DEMO: 12}  # problems in each dataset
KNOWN_IDS = {HUB_IDS["smmile"]: SMMILE, HUB_IDS["augmented"]: SMMILE_PP, DEMO_ID: DEMO}
ORDER = (SMMILE, SMMILE_PP, DEMO)


@dataclass(frozen=True)
class DatasetOf:
    """label: SMMILE, SMMILE++ or demo. counted: whether the dataset's problem count applies (the
    records name a known dataset, or carry no dataset at all: the authors' files)."""

    label: str
    counted: bool

    @property
    def expected(self) -> int | None:
        return PROBLEM_COUNTS.get(self.label) if self.counted else None


@cache
def demo_problem_ids() -> frozenset[str]:
    rows = (DEMO_DIR / "data.jsonl").read_text(encoding="utf-8").splitlines()
    return frozenset(json.loads(line)["problem_id"] for line in rows if line.strip())


def record_dataset(problem_id: str, recorded: str | None = None) -> str:
    """The dataset one record answers: a SMMILE++ id says so itself, else a known recorded
    dataset id, else the demo's ids, else SMMILE."""
    if base_problem_id(problem_id) != problem_id:
        return SMMILE_PP
    if recorded in KNOWN_IDS:
        return KNOWN_IDS[recorded]
    return DEMO if problem_id in demo_problem_ids() else SMMILE


def dataset_of(
    problem_ids: Iterable[str], recorded: Iterable[str | None] = (), authors: bool = True
) -> DatasetOf:
    """The dataset of a result (the most common of its records'), from its problem ids and the
    dataset ids its records name (`recorded`, aligned with `problem_ids` when given). Its problem
    count applies when every record names a known dataset, or when none names one and the result
    is in the authors' format (`authors`: their CSVs, their saved scores)."""
    ids = list(problem_ids)
    names = list(recorded) or [None] * len(ids)
    labels = Counter(record_dataset(p, d) for p, d in zip(ids, names, strict=False))
    label = labels.most_common(1)[0][0] if labels else SMMILE
    named = [d for d in names if d]
    counted = all(d in KNOWN_IDS for d in named) if named else authors
    return DatasetOf(label, counted)
