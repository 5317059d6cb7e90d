"""MCQA options: the distinct answers of a problem, lettered by first appearance, shown shuffled."""

from __future__ import annotations

import string

from smmile.seeding import problem_rng
from smmile.types import Mcqa, Problem

OPTION_STYLES: tuple[str, ...] = ("shuffled", "medr1")
LETTERS = string.ascii_uppercase


def distinct_answers(problem: Problem) -> list[str]:
    """The answers of the examples and the query, each once, in order of first appearance.

    Distinct means different strings: "Red." and "red." are two options, as in the paper.
    """
    seen: dict[str, None] = {}
    for triplet in problem.triplets:
        seen.setdefault(triplet.answer, None)
    return list(seen)


def build_mcqa(problem: Problem, seed: int, option_style: str) -> Mcqa:
    """The options of `problem` in display order and the letter of the query's answer.

    Letters follow first appearance; the display order is shuffled with an RNG drawn from
    (seed, problem_id), so it never depends on which other problems ran. "medr1": letter order.
    """
    if option_style not in OPTION_STYLES:
        raise ValueError(f"unknown option style {option_style!r}; expected one of {OPTION_STYLES}")
    answers = distinct_answers(problem)
    if len(answers) > len(LETTERS):
        raise ValueError(
            f"problem {problem.problem_id}: {len(answers)} distinct answers, "
            f"more than the {len(LETTERS)} option letters A-Z"
        )
    lettered = list(zip(LETTERS, answers, strict=False))
    if option_style == "shuffled":
        problem_rng(seed, problem.problem_id, "options").shuffle(lettered)
    options = dict(lettered)
    correct = next(letter for letter, text in options.items() if text == problem.query.answer)
    return Mcqa(options=options, correct_option=correct)


def format_options(mcqa: Mcqa, option_style: str) -> str:
    """The option lines in display order: `A. text` ("shuffled") or `A) text` ("medr1")."""
    if option_style not in OPTION_STYLES:
        raise ValueError(f"unknown option style {option_style!r}; expected one of {OPTION_STYLES}")
    sep = ")" if option_style == "medr1" else "."
    return "\n".join(f"{letter}{sep} {text}" for letter, text in mcqa.options.items())
