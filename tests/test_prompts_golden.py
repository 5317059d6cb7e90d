"""Golden prompts: every paper profile renders the conversation PROTOCOL.md describes.

The expected strings are spelled out here, independently of smmile.prompts.templates.
"""

from __future__ import annotations

import pytest

from smmile.prompts import PAPER_PROFILES, build_prompt, get_profile, render_mistral_instruct
from smmile.types import Image, ImageRef, Problem, Prompt, Text, Triplet

IMG_A = ImageRef(sha256="a" * 64)
IMG_B = ImageRef(sha256="b" * 64)
IMG_C = ImageRef(sha256="c" * 64)
NAMES = {id(IMG_A): "img_a", id(IMG_B): "img_b", id(IMG_C): "img_c"}

Q1, A1 = "What color is the lesion?", "Red."
Q2, A2 = "What color is the spot?", "Blue."
Q3, A3 = "What color is this lesion?", "Red."

PROBLEM = Problem(
    problem_id="golden-1",
    examples=(Triplet("golden-1", 0, Q1, A1, IMG_A), Triplet("golden-1", 1, Q2, A2, IMG_B)),
    query=Triplet("golden-1", 2, Q3, A3, IMG_C),
)

PROTOCOL_MODELS = {
    "qwen3B", "qwen7B", "qwen32B", "qwen72B", "llama32_vision_90b", "MedVLM-R1", "medgemma_4b",
    "llava_7b", "llava_13b", "llavanext_7b", "llavaonevision_0.5b", "llavaonevision_7b", "llavamed",
    "claude-3-7-sonnet", "gpt-4o", "llama33textonly", "random", "majority",
}  # fmt: skip
DEFAULT_MODELS = {
    "qwen3B", "qwen7B", "qwen32B", "qwen72B", "llava_7b", "llava_13b", "llavanext_7b",
    "llavaonevision_0.5b", "llavaonevision_7b", "llavamed", "random", "majority",
}  # fmt: skip

S1 = (
    "You are an expert medical professional with extensive knowledge in medical imaging, diagnosis, "
    "and clinical practice."
)
S2 = "You are a highly skilled physician and an excellent writer."


def t1(question: str, options: str) -> str:
    return (
        f"\n{question}\n\nPlease select the best answer from the following options:\n{options}\n\n"
        "Your task:\n"
        "1. Think through the question, enclose your reasoning process in <think>...</think> tags.\n"
        "2. Then provide the correct single-letter choice (A, B, C, D, E, F, ...) inside "
        "<answer>...</answer> tags.\n"
        "Example of the expected format:\n<think>This is my thought.</think>\n"
        "<answer>Correct letter.</answer>\n"
    )


def t2(question: str, options: str) -> str:
    return (
        f"\n{question}\n\nPlease select the best answer from the following options:\n{options}\n\n"
        "Your task:\n"
        "1. Think through the question step by step, enclose your reasoning process in "
        "<think>...</think> tags.\n"
        "2. Then provide the correct single-letter choice (A, B, C, D, E, ...) inside "
        "<answer>...</answer> tags.\n"
        "Example of the expected format:\n<think>This is my thought.</think>\n<answer>X</answer>\n"
    )


def t2_llama(question: str, options: str) -> str:
    return t2(question, options) + "Alternatively:\nThe correct answer is X.\n"


def medr1_mcqa(question: str, options: str) -> str:
    return (
        f"\n{question}\n{options}\n\nYour task:\n"
        "1. Think through the question step by step, enclose your reasoning process in "
        "<think>...</think> tags.\n"
        "2. Then provide the correct single-letter choice (A, B, C, D,...) inside "
        "<answer>...</answer> tags.\n"
        "3. No extra information or text outside of these tags.\n"
    )


def conversation(prompt: Prompt) -> list[tuple[str, list[tuple[str, str]]]]:
    """Roles in order; for each message its parts as ("image", which image) or ("text", text)."""
    out = []
    for message in prompt.messages:
        parts = []
        for part in message.parts:
            if isinstance(part, Image):
                parts.append(("image", NAMES.get(id(part.image), "unknown image")))
            else:
                assert isinstance(part, Text)
                parts.append(("text", part.text))
        out.append((message.role, parts))
    return out


def shown_options(prompt: Prompt, sep: str = ".") -> str:
    """The option lines in the display order the prompt's Mcqa reports."""
    assert prompt.mcqa is not None
    return "\n".join(f"{letter}{sep} {text}" for letter, text in prompt.mcqa.options.items())


def chat(
    mode: str,
    query_text: str,
    system: str | None = None,
    text_first: bool = False,
    answer_role: str = "assistant",
    answer_suffix: str = "",
):
    def user(text: str, image: str):
        parts = [("text", text), ("image", image)]
        return ("user", parts if text_first else parts[::-1])

    turns = [("system", [("text", system)])] if system else []
    if mode == "ICL":
        turns += [
            user(Q1, "img_a"),
            (answer_role, [("text", A1 + answer_suffix)]),
            user(Q2, "img_b"),
            (answer_role, [("text", A2 + answer_suffix)]),
        ]
    return [*turns, user(query_text, "img_c")]


def expected(model: str, mode: str, fmt: str, prompt: Prompt):
    mcqa = fmt == "mcqa"
    if model in DEFAULT_MODELS:
        return chat(mode, t1(Q3, shown_options(prompt)) if mcqa else Q3)
    if model == "llama32_vision_90b":
        return chat(mode, t2_llama(Q3, shown_options(prompt)) if mcqa else Q3, answer_suffix="\n")
    if model == "medgemma_4b":
        return chat(mode, t2(Q3, shown_options(prompt)) if mcqa else Q3, system=S1, text_first=True)
    if model == "claude-3-7-sonnet":
        return chat(mode, t1(Q3, shown_options(prompt)) if mcqa else Q3, system=S2, text_first=True)
    if model == "gpt-4o":
        query = t1(Q3, shown_options(prompt)) if mcqa else Q3
        return chat(mode, query, system=S2, text_first=True, answer_role="system")
    if model == "MedVLM-R1":
        query = medr1_mcqa(Q3, "A) Red.\nB) Blue.") if mcqa else Q3
        if mode == "ICL":
            query = (
                f"Example 1:\nQuestion: {Q1}\nAnswer: {A1}\n\n"
                f"Example 2:\nQuestion: {Q2}\nAnswer: {A2}\n\n"
                f"Now answer this question:\n{query}"
            )
        return [("user", [("image", "img_c"), ("text", query)])]
    if model == "llama33textonly":
        lead = "You are an expert medical question-answering system. "
        if not mcqa and mode == "0-shot":
            text = lead + f'Your task is to provide an answer to the following question: "{Q3}".'
        elif not mcqa:
            text = (
                lead
                + "Here are some examples of questions and associated answers: \n"
                + f"{Q1} {A1}\n{Q2} {A2}\n"
                + f'Your task is to provide an answer to the following question: "{Q3}".'
            )
        elif mode == "0-shot":
            text = (
                lead
                + "Your task is to provide an answer to the following multiple-choice question: \n\n"
                + t1(Q3, shown_options(prompt))
            )
        else:
            text = (
                lead
                + "Here are some examples of questions and associated answers: \n\n"
                + f"Question: {Q1}\nAnswer: {A1}\n\nQuestion: {Q2}\nAnswer: {A2}\n\n"
                + "Now, your task is to provide an answer to the following multiple-choice question: \n\n"
                + t1(Q3, shown_options(prompt))
            )
        return [("user", [("text", text)])]
    raise AssertionError(f"no expected conversation written for {model}")


def test_every_protocol_model_has_a_paper_profile():
    assert set(PAPER_PROFILES) == PROTOCOL_MODELS
    assert all(profile.name == model for model, profile in PAPER_PROFILES.items())


@pytest.mark.parametrize("fmt", ["open", "mcqa"])
@pytest.mark.parametrize("mode", ["0-shot", "ICL"])
@pytest.mark.parametrize("model", sorted(PROTOCOL_MODELS))
def test_paper_profile_golden(model: str, mode: str, fmt: str):
    prompt = build_prompt(PROBLEM, mode, fmt, get_profile(model, "paper"), seed=42)
    assert conversation(prompt) == expected(model, mode, fmt, prompt)
    assert prompt.profile == model
    assert prompt.seed == 42
    assert prompt.problem_id == "golden-1"
    assert prompt.task_format == fmt
    assert prompt.icl_answers == ((A1, A2) if mode == "ICL" else ())
    if fmt == "open":
        assert prompt.mcqa is None
    else:
        assert prompt.mcqa is not None
        assert sorted(prompt.mcqa.options.items()) == [("A", "Red."), ("B", "Blue.")]
        assert prompt.mcqa.correct_option == "A"


@pytest.mark.parametrize("model", sorted(PROTOCOL_MODELS - {"llama33textonly"}))
@pytest.mark.parametrize("mode", ["0-shot", "ICL"])
def test_unified_profile_is_the_default_conversation(model: str, mode: str):
    for fmt in ("open", "mcqa"):
        prompt = build_prompt(PROBLEM, mode, fmt, get_profile(model, "unified"))
        assert prompt.profile == model
        assert conversation(prompt) == chat(mode, t1(Q3, shown_options(prompt)) if fmt == "mcqa" else Q3)


def test_unified_text_only_model_keeps_text_only_frames():
    for mode in ("0-shot", "ICL"):
        for fmt in ("open", "mcqa"):
            paper = build_prompt(PROBLEM, mode, fmt, get_profile("llama33textonly", "paper"))
            unified = build_prompt(PROBLEM, mode, fmt, get_profile("llama33textonly", "unified"))
            assert conversation(unified) == conversation(paper)
            assert unified.images == []
    assert get_profile("llama33textonly", "unified").temperature == 0.0
    assert get_profile("llama33textonly", "paper").temperature is None


def test_gpt4o_icl_answers_are_system_turns_only_under_paper():
    paper = build_prompt(PROBLEM, "ICL", "open", get_profile("gpt-4o", "paper"))
    unified = build_prompt(PROBLEM, "ICL", "open", get_profile("gpt-4o", "unified"))
    assert [m.role for m in paper.messages] == ["system", "user", "system", "user", "system", "user"]
    assert [m.role for m in unified.messages] == ["user", "assistant", "user", "assistant", "user"]


def test_llama_icl_answers_end_with_newline():
    prompt = build_prompt(PROBLEM, "ICL", "mcqa", get_profile("llama32_vision_90b"))
    answers = [m.text for m in prompt.messages if m.role == "assistant"]
    assert answers == ["Red.\n", "Blue.\n"]


@pytest.mark.parametrize("model", ["medgemma_4b", "claude-3-7-sonnet", "gpt-4o"])
def test_text_before_image(model: str):
    prompt = build_prompt(PROBLEM, "ICL", "open", get_profile(model))
    for message in prompt.messages:
        if message.role == "user":
            assert [type(p) for p in message.parts] == [Text, Image]


def test_medr1_sees_only_the_query_image():
    for mode in ("0-shot", "ICL"):
        prompt = build_prompt(PROBLEM, mode, "mcqa", get_profile("MedVLM-R1"))
        assert len(prompt.images) == 1
        assert prompt.images[0] is IMG_C


def test_medr1_options_are_unshuffled_for_every_seed():
    for seed in range(20):
        prompt = build_prompt(PROBLEM, "ICL", "mcqa", get_profile("MedVLM-R1"), seed=seed)
        assert prompt.mcqa is not None
        assert list(prompt.mcqa.options) == ["A", "B"]


def test_mistral_instruct_golden():
    prompt = build_prompt(PROBLEM, "ICL", "open", get_profile("llavamed"))
    assert render_mistral_instruct(prompt) == (
        "[INST] <image>\nWhat color is the lesion? [/INST] Red. </s>"
        "[INST] <image>\nWhat color is the spot? [/INST] Blue. </s>"
        "[INST] <image>\nWhat color is this lesion? [/INST]"
    )
    zero = build_prompt(PROBLEM, "0-shot", "open", get_profile("llavamed"))
    assert (
        render_mistral_instruct(zero, image_token="<im>") == "[INST] <im>\nWhat color is this lesion? [/INST]"
    )


def test_mistral_instruct_rejects_a_system_message():
    prompt = build_prompt(PROBLEM, "ICL", "open", get_profile("gpt-4o"))
    with pytest.raises(ValueError, match="system"):
        render_mistral_instruct(prompt)


def test_zero_shot_mcqa_options_include_the_examples_answers():
    problem = Problem(
        "p-zero",
        examples=(Triplet("p-zero", 0, Q1, "Green.", IMG_A),),
        query=Triplet("p-zero", 1, Q3, "Red.", IMG_C),
    )
    prompt = build_prompt(problem, "0-shot", "mcqa", get_profile("qwen7B"))
    assert prompt.mcqa is not None
    assert dict(sorted(prompt.mcqa.options.items())) == {"A": "Green.", "B": "Red."}
    assert prompt.mcqa.correct_option == "B"
    assert prompt.images == [IMG_C]


def test_options_problem_keeps_the_original_options():
    ablated = Problem("golden-1", examples=PROBLEM.examples[:1], query=PROBLEM.query)
    prompt = build_prompt(ablated, "ICL", "mcqa", get_profile("qwen7B"), options_problem=PROBLEM)
    assert prompt.mcqa is not None
    assert sorted(prompt.mcqa.options.values()) == ["Blue.", "Red."]
    assert prompt.icl_answers == (A1,)
    alone = build_prompt(ablated, "ICL", "mcqa", get_profile("qwen7B"))
    assert alone.mcqa is not None
    assert list(alone.mcqa.options.values()) == ["Red."]


def test_question_with_braces_is_kept_verbatim():
    question = "Which {value} is shown? 50% {options}"
    problem = Problem("braces", (), Triplet("braces", 0, question, "Red.", IMG_C))
    prompt = build_prompt(problem, "0-shot", "mcqa", get_profile("qwen7B"))
    assert prompt.messages[-1].text == t1(question, "A. Red.")


def test_missing_image_is_an_error_not_a_dropped_image():
    problem = Problem(
        "no-image", (Triplet("no-image", 0, Q1, A1, None),), Triplet("no-image", 1, Q3, A3, IMG_C)
    )
    with pytest.raises(ValueError, match="no image"):
        build_prompt(problem, "ICL", "open", get_profile("qwen7B"))
    assert build_prompt(problem, "ICL", "open", get_profile("MedVLM-R1")).images == [IMG_C]
    assert build_prompt(problem, "0-shot", "open", get_profile("qwen7B")).images == [IMG_C]


def test_unknown_model_and_protocol():
    custom = get_profile("my-served-model")
    assert custom.name == "my-served-model"
    assert custom == get_profile("my-served-model", "unified")
    assert (custom.system_prompt, custom.text_first, custom.mcqa_template) == (None, False, "T1")
    with pytest.raises(ValueError, match="protocol"):
        get_profile("qwen7B", "mine")


@pytest.mark.parametrize(("mode", "fmt"), [("few-shot", "open"), ("ICL", "essay")])
def test_bad_mode_or_format(mode: str, fmt: str):
    with pytest.raises(ValueError):
        build_prompt(PROBLEM, mode, fmt, get_profile("qwen7B"))
