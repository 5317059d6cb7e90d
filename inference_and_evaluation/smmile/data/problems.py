"""Rows -> problems: rows grouped by ``problem_id`` and sorted by ``order``; the last row is the
query, the others are the in-context examples. A problem still missing an image is left out and
its URLs are reported. The context facts of a problem as shown (``context_facts``) are the
per-record stratification flags."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from smmile.data.validation import order_number
from smmile.types import ImageRef, Problem, Triplet

CONTEXT_FLAGS: tuple[str, ...] = (
    "flag_num_ICL",
    "flag_first_ICL_match_problem",
    "flag_last_ICL_match_problem",
)


@dataclass
class ImagesNeeded:
    """The image URLs of rows without an image (URL -> "problem#order" of those rows), and every
    image URL of the dataset (to tell which hand-downloaded file names are ambiguous)."""

    missing: dict[str, list[str]] = field(default_factory=dict)
    dataset_urls: list[str] = field(default_factory=list)


def _none_if_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _text(value: Any) -> str:
    value = _none_if_nan(value)
    return "" if value is None else str(value)


def _row_url(row: dict) -> str | None:
    url = _none_if_nan(row.get("image_url"))
    return str(url) if url else None


def images_needed(rows: list[dict]) -> ImagesNeeded:
    """What the rows that lack an image need, from the image folder or fetched (all at once)."""
    needed = ImagesNeeded(dataset_urls=[url for url in map(_row_url, rows) if url])
    for row in rows:
        url = _row_url(row)
        if row["image"] is None and url:
            needed.missing.setdefault(url, []).append(f"{_text(row['problem_id'])}#{_text(row['order'])}")
    return needed


def to_problems(
    rows: list[dict],
    columns: list[str],
    dataset: str,
    origin: str,
    found: dict[str, ImageRef],
) -> tuple[list[Problem], dict[str, list[str]]]:
    """Problems sorted by id (images from the rows, else `found` by URL), and the problems left
    out for a missing image (id -> URLs)."""
    meta_columns = ["speciality"] + [c for c in columns if c.startswith("flag_")]
    groups: dict[str, list[tuple[float, dict]]] = {}
    for row in rows:
        pid = _text(row["problem_id"])
        order = order_number(row["order"], pid, origin, row.get("_where", ""))
        groups.setdefault(pid, []).append((order, row))
    problems: list[Problem] = []
    skipped: dict[str, list[str]] = {}
    for pid in sorted(groups):
        ordered = sorted(groups[pid], key=lambda item: item[0])
        triplets = []
        for order, row in ordered:
            url = _row_url(row)
            image = row["image"] if row["image"] is not None else found.get(url or "")
            if image is None:
                skipped.setdefault(pid, []).append(url or f"(order {order:g}: no image and no image_url)")
            triplets.append(
                Triplet(
                    problem_id=pid,
                    order=int(order) if order.is_integer() else order,  # type: ignore[arg-type]
                    question=_text(row["question"]),
                    answer=_text(row["answer"]),
                    image=image,
                    image_url=url,
                )
            )
        if pid in skipped:
            continue
        metadata = {c: _none_if_nan(ordered[-1][1].get(c)) for c in meta_columns}
        problems.append(
            Problem(
                problem_id=pid,
                examples=tuple(triplets[:-1]),
                query=triplets[-1],
                metadata=metadata,
                dataset=dataset,
            )
        )
    return problems, skipped


def context_facts(problem: Problem, with_examples: bool = True) -> dict[str, Any]:
    """A problem's metadata and the facts of its in-context examples as shown: how many, and
    whether the first / last example's answer equals the query's (none shown: 0 / False / False)."""
    examples = problem.examples if with_examples else ()
    answer = problem.query.answer
    return {
        **problem.metadata,
        "flag_num_ICL": len(examples),
        "flag_first_ICL_match_problem": bool(examples) and examples[0].answer == answer,
        "flag_last_ICL_match_problem": bool(examples) and examples[-1].answer == answer,
    }
