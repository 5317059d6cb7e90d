"""The paper's robustness analyses as Problem transforms: example order, number, irrelevant examples.

Each transform is seeded by (seed, problem_id), so a run is reproducible, resumable and shardable.
Applied in this order: `--icl-order`, then `--num-icl`, then `--irrelevant`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from smmile.errors import UserError
from smmile.seeding import problem_rng
from smmile.types import Problem, Triplet, base_problem_id

ICL_ORDERS = ("given", "reversed", "shuffled", "relevant-last", "relevant-first")
KEEP = ("last", "first")
POSITIONS = ("start", "end", "random")
IRRELEVANT_FROM = ("speciality", "image_type")


@dataclass(frozen=True)
class Ablation:
    """Which transforms a run applies; the default (all off) is the plain run."""

    icl_order: str = "given"
    num_icl: int | None = None
    num_icl_keep: str = "last"
    irrelevant: int = 0
    irrelevant_position: str = "end"
    irrelevant_from: str = "speciality"

    def __post_init__(self) -> None:
        if self.icl_order not in ICL_ORDERS:
            raise UserError(f"--icl-order {self.icl_order!r}: choose from {', '.join(ICL_ORDERS)}")
        if self.num_icl is not None and self.num_icl < 0:
            raise UserError("--num-icl must be 0 or more")
        if self.irrelevant < 0:
            raise UserError("--irrelevant must be 0 or more")

    @property
    def active(self) -> bool:
        return self.icl_order != "given" or self.num_icl is not None or self.irrelevant > 0

    def tag(self) -> str | None:
        """The file-name tag, e.g. `order-reversed`, `num-icl-2-first`, `irrelevant-1-end` (joined by '+')."""
        parts = []
        if self.icl_order != "given":
            parts.append(f"order-{self.icl_order}")
        if self.num_icl is not None:
            parts.append(f"num-icl-{self.num_icl}" + ("-first" if self.num_icl_keep == "first" else ""))
        if self.irrelevant:
            by = "" if self.irrelevant_from == "speciality" else "-by-image-type"
            parts.append(f"irrelevant-{self.irrelevant}-{self.irrelevant_position}{by}")
        return "+".join(parts) or None

    def describe(self) -> dict[str, Any] | None:
        """The `ablation` field of a record (None on plain runs)."""
        if not self.active:
            return None
        out: dict[str, Any] = {}
        if self.icl_order != "given":
            out["icl_order"] = self.icl_order
        if self.num_icl is not None:
            out["num_icl"] = self.num_icl
            out["num_icl_keep"] = self.num_icl_keep
        if self.irrelevant:
            out.update(
                irrelevant=self.irrelevant,
                irrelevant_position=self.irrelevant_position,
                irrelevant_from=self.irrelevant_from,
            )
        return out


@dataclass(frozen=True)
class Applied:
    """A transformed problem and what the transform did (for the record)."""

    problem: Problem
    notes: dict[str, Any]


def order_examples(problem: Problem, order: str, seed: int) -> tuple[tuple[Triplet, ...], dict[str, Any]]:
    examples = problem.examples
    if order == "given":
        return examples, {}
    if order == "reversed":
        return tuple(reversed(examples)), {}
    if order == "shuffled":
        shuffled = list(examples)
        problem_rng(seed, problem.problem_id, "icl-order").shuffle(shuffled)
        return tuple(shuffled), {}
    relevant = [t for t in examples if t.answer == problem.query.answer]
    others = [t for t in examples if t.answer != problem.query.answer]
    if not relevant:
        return examples, {"relevant_examples": 0, "order_unchanged": True}
    moved = (*others, *relevant) if order == "relevant-last" else (*relevant, *others)
    return tuple(moved), {"relevant_examples": len(relevant)}


def keep_examples(examples: tuple[Triplet, ...], k: int | None, keep: str) -> tuple[Triplet, ...]:
    if k is None:
        return examples
    if k == 0:
        return ()
    return examples[:k] if keep == "first" else examples[-k:]


def _group(problem: Problem, by: str) -> Any:
    return problem.metadata.get("speciality" if by == "speciality" else "flag_image_type")


def irrelevant_pool(problem: Problem, pool: Sequence[Problem], by: str) -> list[Triplet]:
    """Examples of other problems whose speciality (or image type) differs from this problem's."""
    own_group, own_base = _group(problem, by), base_problem_id(problem.problem_id)
    return [
        t
        for other in pool
        if base_problem_id(other.problem_id) != own_base and _group(other, by) != own_group
        for t in other.examples
    ]


def add_irrelevant(
    problem: Problem, examples: tuple[Triplet, ...], ablation: Ablation, pool: Sequence[Problem], seed: int
) -> tuple[Triplet, ...]:
    candidates = irrelevant_pool(problem, pool, ablation.irrelevant_from)
    if len(candidates) < ablation.irrelevant:
        raise ValueError(
            f"only {len(candidates)} examples from problems of another {ablation.irrelevant_from}; "
            f"--irrelevant {ablation.irrelevant} needs more"
        )
    rng = problem_rng(seed, problem.problem_id, "irrelevant")
    drawn = rng.sample(candidates, ablation.irrelevant)
    if ablation.irrelevant_position == "start":
        return (*drawn, *examples)
    if ablation.irrelevant_position == "end":
        return (*examples, *drawn)
    out = list(examples)
    for t in drawn:
        out.insert(rng.randint(0, len(out)), t)
    return tuple(out)


def apply_ablation(problem: Problem, ablation: Ablation, pool: Sequence[Problem], seed: int) -> Applied:
    """The problem as the ablation shows it (the query and metadata are unchanged)."""
    if not ablation.active:
        return Applied(problem, {})
    examples, notes = order_examples(problem, ablation.icl_order, seed)
    examples = keep_examples(examples, ablation.num_icl, ablation.num_icl_keep)
    if ablation.irrelevant:
        examples = add_irrelevant(problem, examples, ablation, pool, seed)
    return Applied(replace(problem, examples=examples), notes)


def example_label(problem: Problem, t: Triplet) -> int | str:
    """An example as `examples_seen` names it: its `order`, or `<problem_id>#<order>` from another problem."""
    return t.order if t.problem_id == problem.problem_id else f"{t.problem_id}#{t.order}"
