"""Problem + mode + format + profile -> a provider-neutral Prompt (and LLaVA-Med's instruct string)."""

from __future__ import annotations

import smmile.prompts.templates as t
from smmile.prompts.options import build_mcqa, format_options
from smmile.prompts.profiles import Profile
from smmile.types import (
    MODES,
    TASK_FORMATS,
    Image,
    ImageRef,
    Mcqa,
    Message,
    Part,
    Problem,
    Prompt,
    Text,
    Triplet,
)


def _image(triplet: Triplet, problem_id: str) -> ImageRef:
    if triplet.image is None:
        raise ValueError(f"problem {problem_id}: the triplet with order {triplet.order} has no image")
    return triplet.image


def _user_turn(text: str, image: ImageRef | None, profile: Profile) -> Message:
    parts: list[Part] = [Text(text)]
    if image is not None:
        parts.insert(len(parts) if profile.text_first else 0, Image(image))
    return Message("user", tuple(parts))


def _mcqa_question(question: str, mcqa: Mcqa, profile: Profile) -> str:
    """The query text of an MCQA prompt, built from the profile's template."""
    options = format_options(mcqa, profile.option_style)
    if profile.mcqa_template == "medr1":
        return t.MEDR1_MCQA.format(Q=question + "\n" + options)
    template = t.T1 if profile.mcqa_template == "textonly" else t.MCQA_TEMPLATES[profile.mcqa_template]
    return template.format(question=question, options=options)


def _chat(
    problem: Problem, examples: tuple[Triplet, ...], query_text: str, profile: Profile
) -> list[Message]:
    """A user turn per example, then its answer turn, then the query's user turn."""
    messages: list[Message] = []
    if profile.system_prompt is not None:
        messages.append(Message("system", (Text(profile.system_prompt),)))
    pid = problem.problem_id
    for ex in examples:
        image = _image(ex, pid) if profile.images == "all" else None
        messages.append(_user_turn(ex.question, image, profile))
        messages.append(Message(profile.icl_answer_role, (Text(ex.answer + profile.icl_answer_suffix),)))  # type: ignore[arg-type]
    query_image = _image(problem.query, pid) if profile.images in ("all", "query") else None
    messages.append(_user_turn(query_text, query_image, profile))
    return messages


def _medr1(examples: tuple[Triplet, ...], query_text: str, mode: str) -> str:
    """MedVLM-R1's single text: the examples as `Example k:` blocks, then the query."""
    if mode == "0-shot":
        return query_text
    shown = "".join(
        t.MEDR1_EXAMPLE.format(k=k, q=ex.question, a=ex.answer) for k, ex in enumerate(examples, start=1)
    )
    return shown + t.MEDR1_QUERY.format(query=query_text)


def _text_only(examples: tuple[Triplet, ...], question: str, mode: str, mcqa_text: str | None) -> str:
    if mcqa_text is None:
        if mode == "0-shot":
            return t.P0.format(q=question)
        shown = "".join(t.P1_EXAMPLE.format(q=ex.question, a=ex.answer) for ex in examples)
        return t.P1_HEAD + shown + t.P1_TASK.format(q=question)
    if mode == "0-shot":
        return t.TEXT_MCQA_0SHOT_HEAD + mcqa_text
    shown = "".join(t.TEXT_MCQA_EXAMPLE.format(q=ex.question, a=ex.answer) for ex in examples)
    return t.TEXT_MCQA_ICL_HEAD + shown + t.TEXT_MCQA_ICL_TASK + mcqa_text


def build_prompt(
    problem: Problem,
    mode: str,
    task_format: str,
    profile: Profile,
    seed: int = 42,
    options_problem: Problem | None = None,
) -> Prompt:
    """The conversation that `profile` sends for `problem` (PROTOCOL.md: Conversation, MCQA options).

    In 0-shot no example is shown. For MCQA the options come from `options_problem` (default:
    `problem`), so an ablation that changes the examples keeps the original options; only the
    query is put in the template, the examples keep their raw questions and answers.
    """
    if mode not in MODES:
        raise ValueError(f"unknown inference mode {mode!r}; expected one of {', '.join(MODES)}")
    if task_format not in TASK_FORMATS:
        raise ValueError(f"unknown task format {task_format!r}; expected one of {', '.join(TASK_FORMATS)}")
    examples = problem.examples if mode == "ICL" else ()
    question = problem.query.question

    mcqa: Mcqa | None = None
    mcqa_text: str | None = None
    if task_format == "mcqa":
        mcqa = build_mcqa(options_problem or problem, seed, profile.option_style)
        correct = [letter for letter, text in mcqa.options.items() if text == problem.query.answer]
        if not correct:
            raise ValueError(f"problem {problem.problem_id}: the query's answer is not among the options")
        mcqa = Mcqa(options=mcqa.options, correct_option=correct[0])
        mcqa_text = _mcqa_question(question, mcqa, profile)
    query_text = mcqa_text if mcqa_text is not None else question

    if profile.conversation == "textonly":
        messages = [Message("user", (Text(_text_only(examples, question, mode, mcqa_text)),))]
    elif profile.conversation == "medr1":
        text = _medr1(examples, query_text, mode)
        query_image = _image(problem.query, problem.problem_id) if profile.sees_images else None
        messages = [_user_turn(text, query_image, profile)]
        if profile.system_prompt is not None:
            messages.insert(0, Message("system", (Text(profile.system_prompt),)))
    else:
        messages = _chat(problem, examples, query_text, profile)

    return Prompt(
        problem_id=problem.problem_id,
        messages=tuple(messages),
        profile=profile.name,
        task_format=task_format,  # type: ignore[arg-type]
        mcqa=mcqa,
        icl_answers=tuple(ex.answer for ex in examples),
        seed=seed,
    )


def render_mistral_instruct(prompt: Prompt, image_token: str = "<image>") -> str:
    """LLaVA-Med's Mistral instruct string: `[INST] <image>\\nq [/INST] a </s>` turns, concatenated.

    Each user turn carries one image token (and a newline) per image part, then its text.
    """
    out: list[str] = []
    for message in prompt.messages:
        if message.role == "user":
            tokens = "".join(f"{image_token}\n" for p in message.parts if isinstance(p, Image))
            out.append(f"[INST] {tokens}{message.text} [/INST]")
        elif message.role == "assistant":
            out.append(f" {message.text} </s>")
        else:
            raise ValueError(
                f"problem {prompt.problem_id}: the Mistral instruct format has no {message.role!r} turn"
            )
    return "".join(out)
