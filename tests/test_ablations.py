"""The robustness analyses: each transform on its own, then through real runs on the demo."""

from __future__ import annotations

import pytest

from smmile.ablations import Ablation, apply_ablation, base_problem_id, irrelevant_pool
from smmile.errors import UserError
from smmile.types import ImageRef, Problem, Triplet


def problem(pid: str, answers: list[str], query: str, speciality: str = "radiology", image_type: str = "CT"):
    def trip(i: int, answer: str) -> Triplet:
        return Triplet(pid, i, f"{pid} q{i}?", answer, ImageRef(sha256=f"{pid}-{i}"))

    examples = tuple(trip(i, a) for i, a in enumerate(answers))
    return Problem(
        pid, examples, trip(len(answers), query), {"speciality": speciality, "flag_image_type": image_type}
    )


P = problem("p1", ["Yes.", "No.", "Yes.", "Maybe."], "Yes.")
POOL = [
    P,
    problem("p2", ["a", "b"], "a", "pathology", "Staining"),
    problem("p3", ["c", "d", "e"], "c", "dermatology", "Photograph"),
    problem("p4", ["f", "g"], "f", "radiology", "X-Ray"),
    problem("p1_perm_1", ["No.", "Yes."], "Yes.", "surgery", "Photograph"),
]


def orders(p: Problem) -> list[int]:
    return [t.order for t in p.examples]


def shown(ablation: Ablation, p: Problem = P, seed: int = 42):
    return apply_ablation(p, ablation, POOL, seed)


def test_plain_run_is_untouched():
    applied = shown(Ablation())
    assert applied.problem is P and applied.notes == {}
    assert Ablation().tag() is None and Ablation().describe() is None


def test_orders():
    assert orders(shown(Ablation(icl_order="reversed")).problem) == [3, 2, 1, 0]
    assert orders(shown(Ablation(icl_order="relevant-last")).problem) == [1, 3, 0, 2]
    assert orders(shown(Ablation(icl_order="relevant-first")).problem) == [0, 2, 1, 3]
    assert shown(Ablation(icl_order="relevant-last")).notes == {"relevant_examples": 2}


def test_shuffled_is_reproducible_and_seeded():
    first = orders(shown(Ablation(icl_order="shuffled")).problem)
    assert first == orders(shown(Ablation(icl_order="shuffled")).problem)
    assert sorted(first) == [0, 1, 2, 3]
    assert len({tuple(orders(shown(Ablation(icl_order="shuffled"), seed=s).problem)) for s in range(30)}) > 5


def test_no_relevant_example_keeps_the_order_and_says_so():
    p = problem("p9", ["a", "b", "c"], "z")
    applied = apply_ablation(p, Ablation(icl_order="relevant-last"), POOL, 42)
    assert orders(applied.problem) == [0, 1, 2]
    assert applied.notes == {"relevant_examples": 0, "order_unchanged": True}


def test_num_icl_keeps_last_or_first_after_ordering():
    assert orders(shown(Ablation(num_icl=2)).problem) == [2, 3]
    assert orders(shown(Ablation(num_icl=2, num_icl_keep="first")).problem) == [0, 1]
    assert orders(shown(Ablation(icl_order="reversed", num_icl=3)).problem) == [2, 1, 0]
    assert orders(shown(Ablation(num_icl=0)).problem) == []
    assert orders(shown(Ablation(num_icl=10)).problem) == [0, 1, 2, 3]


@pytest.mark.parametrize("seed", range(20))
def test_irrelevant_examples_come_from_other_problems_of_another_speciality(seed):
    applied = shown(Ablation(irrelevant=2, irrelevant_position="random"), seed=seed)
    foreign = [t for t in applied.problem.examples if t.problem_id != "p1"]
    assert len(foreign) == 2 and len(applied.problem.examples) == 6
    for t in foreign:
        assert base_problem_id(t.problem_id) != "p1"
        assert t.problem_id != "p4"  # radiology, like p1
    own = [t.order for t in applied.problem.examples if t.problem_id == "p1"]
    assert own == [0, 1, 2, 3]
    assert applied.problem.query == P.query


def test_irrelevant_positions_and_image_type_pool():
    start = shown(Ablation(irrelevant=1, irrelevant_position="start")).problem.examples
    end = shown(Ablation(irrelevant=1, irrelevant_position="end")).problem.examples
    assert start[0].problem_id != "p1" and all(t.problem_id == "p1" for t in start[1:])
    assert end[-1].problem_id != "p1" and all(t.problem_id == "p1" for t in end[:-1])
    by_type = {t.problem_id for t in irrelevant_pool(P, POOL, "image_type")}
    assert by_type == {"p2", "p3", "p4"}


def test_too_few_irrelevant_candidates_is_an_error():
    with pytest.raises(ValueError, match="irrelevant"):
        shown(Ablation(irrelevant=50))


def test_tags_and_descriptions():
    a = Ablation(
        icl_order="reversed", num_icl=2, num_icl_keep="first", irrelevant=1, irrelevant_from="image_type"
    )
    assert a.tag() == "order-reversed+num-icl-2-first+irrelevant-1-end-by-image-type"
    assert a.describe() == {
        "icl_order": "reversed",
        "num_icl": 2,
        "num_icl_keep": "first",
        "irrelevant": 1,
        "irrelevant_position": "end",
        "irrelevant_from": "image_type",
    }
    with pytest.raises(UserError):
        Ablation(icl_order="sideways")
    with pytest.raises(UserError):
        Ablation(num_icl=-1)


def test_zero_shot_with_an_ablation_is_a_clear_error():
    import utils
    from smmile.runs import ablation_for

    args = utils.common_parser("t").parse_args(["--inference_mode", "0-shot", "--icl-order", "reversed"])
    with pytest.raises(UserError, match="need --inference_mode ICL"):
        ablation_for(args)
    args = utils.common_parser("t").parse_args(["--inference_mode", "0-shot"])
    assert ablation_for(args).active is False


def user_texts(prompt) -> list[str]:
    return [m.text for m in prompt.messages if m.role == "user"]


def answer_texts(prompt) -> list[str]:
    return [m.text for m in prompt.messages if m.role == "assistant"]


def test_rendered_conversation_follows_the_ablation():
    from smmile.prompts import build_prompt, get_profile

    profile = get_profile("qwen7B")
    prompt = build_prompt(
        shown(Ablation(icl_order="relevant-last", num_icl=3)).problem, "ICL", "open", profile
    )
    # relevant-last gives orders 1, 3, 0, 2; --num-icl 3 keeps the last three
    assert user_texts(prompt) == ["p1 q3?", "p1 q0?", "p1 q2?", "p1 q4?"]
    assert answer_texts(prompt) == ["Maybe.", "Yes.", "Yes."]
    assert [im.sha256 for im in prompt.images] == ["p1-3", "p1-0", "p1-2", "p1-4"]


def test_irrelevant_examples_bring_their_own_images_but_not_their_answers_as_options():
    from smmile.prompts import build_prompt, get_profile

    applied = shown(Ablation(irrelevant=1, irrelevant_position="start"))
    foreign = applied.problem.examples[0]
    prompt = build_prompt(applied.problem, "ICL", "mcqa", get_profile("qwen7B"), options_problem=P)
    assert prompt.images[0].sha256 == foreign.image.sha256
    assert user_texts(prompt)[0] == foreign.question and answer_texts(prompt)[0] == foreign.answer
    assert sorted(prompt.mcqa.options.values()) == ["Maybe.", "No.", "Yes."]
    plain = build_prompt(P, "ICL", "mcqa", get_profile("qwen7B"))
    assert prompt.mcqa == plain.mcqa
