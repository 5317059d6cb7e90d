from __future__ import annotations

from smmile.models.baselines import BaselineBackend, pick_answer
from smmile.types import Mcqa, Message, Prompt, Text


def prompt(answers, mcqa=None, pid="p1"):
    return Prompt(
        problem_id=pid,
        messages=(Message("user", (Text("q"),)),),
        profile="majority",
        task_format="mcqa" if mcqa else "open",
        mcqa=mcqa,
        icl_answers=tuple(answers),
    )


def test_majority_takes_most_common_and_first_seen_on_ties():
    assert pick_answer("majority", ["a", "b", "b"], 42, "p") == "b"
    assert pick_answer("majority", ["b", "a", "a", "b"], 42, "p") == "b"


def test_random_is_seeded_per_problem_and_varies():
    answers = [str(i) for i in range(10)]
    assert pick_answer("random", answers, 42, "p1") == pick_answer("random", answers, 42, "p1")
    picks = {pick_answer("random", answers, 42, f"p{i}") for i in range(40)}
    assert len(picks) > 3
    assert {pick_answer("random", answers, s, "p1") for s in range(40)} != {
        pick_answer("random", answers, 42, "p1")
    }


def test_mcqa_reply_names_the_letter_of_the_answer():
    mcqa = Mcqa(options={"B": "Blue.", "A": "Red."}, correct_option="A")
    (resp,) = BaselineBackend("majority").generate([prompt(["Blue.", "Red.", "Blue."], mcqa)])
    assert resp.status == "ok" and resp.text == "<answer>B</answer>"


def test_no_examples_is_an_error_not_an_answer():
    (resp,) = BaselineBackend("random").generate([prompt([])])
    assert resp.status == "error" and resp.text is None and "in-context" in resp.error


def test_mcqa_ignores_in_context_answers_that_are_not_options():
    mcqa = Mcqa(options={"A": "Red."}, correct_option="A")
    for kind in ("random", "majority"):
        (resp,) = BaselineBackend(kind).generate([prompt(["Femur.", "Femur.", "Red."], mcqa)])
        assert resp.text == "<answer>A</answer>"
    (resp,) = BaselineBackend("majority").generate([prompt(["Femur."], mcqa)])
    assert resp.status == "error"
