"""MCQA options: lettering by first appearance, per-problem shuffles, formatting."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smmile.prompts import build_mcqa, format_options
from smmile.seeding import problem_rng
from smmile.types import Problem, Triplet

answers_st = st.lists(
    st.sampled_from(["Red.", "Blue.", "red.", "Green.", "Yes", "No", "12 mm", "É"]), min_size=1
)
seeds_st = st.integers(min_value=0, max_value=2**32)
ids_st = st.text(min_size=1, max_size=20)


def make_problem(answers: list[str], problem_id: str = "p") -> Problem:
    rows = [Triplet(problem_id, i, f"q{i}", a, None) for i, a in enumerate(answers)]
    return Problem(problem_id, tuple(rows[:-1]), rows[-1])


def first_appearance(answers: list[str]) -> list[str]:
    out: list[str] = []
    for a in answers:
        if a not in out:
            out.append(a)
    return out


@given(answers_st, seeds_st, ids_st)
def test_letters_follow_first_appearance(answers, seed, pid):
    mcqa = build_mcqa(make_problem(answers, pid), seed, "shuffled")
    by_letter = [mcqa.options[letter] for letter in sorted(mcqa.options)]
    assert by_letter == first_appearance(answers)
    assert sorted(mcqa.options) == list(string.ascii_uppercase[: len(by_letter)])


@given(answers_st, seeds_st, ids_st)
def test_every_answer_once_and_correct_option_is_the_query_answer(answers, seed, pid):
    mcqa = build_mcqa(make_problem(answers, pid), seed, "shuffled")
    assert sorted(mcqa.options.values()) == sorted(set(answers))
    assert mcqa.options[mcqa.correct_option] == answers[-1]


@given(answers_st, seeds_st, seeds_st, ids_st)
def test_correct_option_does_not_depend_on_the_seed(answers, seed1, seed2, pid):
    problem = make_problem(answers, pid)
    assert (
        build_mcqa(problem, seed1, "shuffled").correct_option
        == build_mcqa(problem, seed2, "shuffled").correct_option
    )


@given(answers_st, seeds_st, ids_st)
def test_display_order_is_a_permutation_of_the_letters(answers, seed, pid):
    shuffled = build_mcqa(make_problem(answers, pid), seed, "shuffled")
    plain = build_mcqa(make_problem(answers, pid), seed, "medr1")
    assert sorted(shuffled.options) == list(plain.options)
    assert sorted(shuffled.options.items()) == sorted(plain.options.items())


@given(answers_st, seeds_st, ids_st, st.lists(ids_st, max_size=5))
def test_same_seed_and_problem_give_the_same_order_whatever_ran_before(answers, seed, pid, others):
    first = build_mcqa(make_problem(answers, pid), seed, "shuffled")
    for other in others:  # other problems processed in between must not matter
        build_mcqa(make_problem(answers, other), seed, "shuffled")
    again = build_mcqa(make_problem(answers, pid), seed, "shuffled")
    assert list(first.options.items()) == list(again.options.items())


def test_display_order_is_drawn_from_the_problems_own_rng():
    answers = ["Red.", "Blue.", "Green.", "Black.", "White.", "Red."]
    expected = list(zip("ABCDE", answers[:5], strict=True))
    problem_rng(42, "pid-7", "options").shuffle(expected)
    assert list(build_mcqa(make_problem(answers, "pid-7"), 42, "shuffled").options.items()) == expected


def test_different_seeds_give_different_orders():
    problem = make_problem(["Red.", "Blue.", "Green.", "Black.", "Red."], "pid-1")
    orders = {tuple(build_mcqa(problem, seed, "shuffled").options) for seed in range(10)}
    assert len(orders) > 1


def test_different_problems_give_different_orders():
    answers = ["Red.", "Blue.", "Green.", "Black.", "Red."]
    orders = {tuple(build_mcqa(make_problem(answers, f"pid-{i}"), 42, "shuffled").options) for i in range(10)}
    assert len(orders) > 1


@given(answers_st, seeds_st)
def test_medr1_is_unshuffled(answers, seed):
    mcqa = build_mcqa(make_problem(answers), seed, "medr1")
    assert list(mcqa.options) == sorted(mcqa.options)
    assert list(mcqa.options.values()) == first_appearance(answers)


def test_distinct_means_exact_string_equality():
    mcqa = build_mcqa(make_problem(["Red.", "red.", "Red. ", "Red."]), 0, "medr1")
    assert mcqa.options == {"A": "Red.", "B": "red.", "C": "Red. "}
    assert mcqa.correct_option == "A"


def test_format_options():
    mcqa = build_mcqa(make_problem(["Red.", "Blue.", "Blue."]), 0, "medr1")
    assert format_options(mcqa, "medr1") == "A) Red.\nB) Blue."
    assert format_options(mcqa, "shuffled") == "A. Red.\nB. Blue."


@settings(max_examples=50)
@given(answers_st, seeds_st)
def test_format_options_lists_lines_in_display_order(answers, seed):
    mcqa = build_mcqa(make_problem(answers), seed, "shuffled")
    lines = format_options(mcqa, "shuffled").split("\n")
    assert lines == [f"{letter}. {text}" for letter, text in mcqa.options.items()]


def test_more_than_26_options_is_a_clear_error():
    build_mcqa(make_problem([f"answer {i}" for i in range(26)]), 0, "shuffled")
    with pytest.raises(ValueError, match="27 distinct answers"):
        build_mcqa(make_problem([f"answer {i}" for i in range(27)]), 0, "shuffled")


def test_unknown_option_style():
    with pytest.raises(ValueError, match="option style"):
        build_mcqa(make_problem(["Red."]), 0, "alphabetical")
