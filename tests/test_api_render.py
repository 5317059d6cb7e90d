"""Each API backend renders the paper profiles' conversations into its provider's message shape."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image as PILImage

from smmile.errors import UserError
from smmile.models.anthropic_backend import AnthropicBackend, check_profile_roles
from smmile.models.base import GenerationConfig
from smmile.models.ollama_backend import OllamaBackend
from smmile.models.openai_backend import OpenAIBackend, OpenAIService
from smmile.prompts import build_prompt, get_profile
from smmile.types import ImageRef, Problem, Triplet

S2 = "You are a highly skilled physician and an excellent writer."


def png(color) -> ImageRef:
    buf = io.BytesIO()
    PILImage.new("RGB", (8, 6), color).save(buf, format="PNG")
    return ImageRef.from_bytes(buf.getvalue())


IMG_A, IMG_B, IMG_C = png((255, 0, 0)), png((0, 255, 0)), png((0, 0, 255))
PROBLEM = Problem(
    problem_id="render-1",
    examples=(
        Triplet("render-1", 0, "What color is the lesion?", "Red.", IMG_A),
        Triplet("render-1", 1, "What color is the spot?", "Green.", IMG_B),
    ),
    query=Triplet("render-1", 2, "What color is this lesion?", "Blue.", IMG_C),
)


def b64(ref: ImageRef) -> str:
    return base64.b64encode(ref.read_bytes()).decode()


def url(ref: ImageRef) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64(ref), "detail": "high"}}


def prompt(model: str, mode="ICL", fmt="open", protocol="paper"):
    shown = PROBLEM if mode == "ICL" else Problem(PROBLEM.problem_id, (), PROBLEM.query)
    return build_prompt(shown, mode, fmt, get_profile(model, protocol), 42, options_problem=PROBLEM)


def openai_backend() -> OpenAIBackend:
    return OpenAIBackend("gpt-4o", OpenAIService("openai", "sk-x"))


def test_gpt4o_paper_profile_sends_icl_answers_as_system_turns_text_before_image():
    messages = openai_backend().render(prompt("gpt-4o"))
    assert messages == [
        {"role": "system", "content": S2},
        {"role": "user", "content": [{"type": "text", "text": "What color is the lesion?"}, url(IMG_A)]},
        {"role": "system", "content": "Red."},
        {"role": "user", "content": [{"type": "text", "text": "What color is the spot?"}, url(IMG_B)]},
        {"role": "system", "content": "Green."},
        {"role": "user", "content": [{"type": "text", "text": "What color is this lesion?"}, url(IMG_C)]},
    ]


def test_gpt4o_unified_profile_uses_assistant_turns_image_first():
    messages = openai_backend().render(prompt("gpt-4o", protocol="unified"))
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"][0] == url(IMG_A)
    assert messages[-1]["content"] == [url(IMG_C), {"type": "text", "text": "What color is this lesion?"}]


def test_openai_mcqa_zero_shot_query_carries_the_t1_template():
    messages = openai_backend().render(prompt("gpt-4o", mode="0-shot", fmt="mcqa"))
    assert [m["role"] for m in messages] == ["system", "user"]
    text = messages[1]["content"][0]["text"]
    assert text.startswith("\nWhat color is this lesion?\n\nPlease select the best answer")
    assert "<answer>Correct letter.</answer>\n" in text
    assert messages[1]["content"][1] == url(IMG_C)


def anthropic_kwargs(p, generation=None):
    return AnthropicBackend("claude-3-7-sonnet-20250219", "ak-x", generation=generation).request_kwargs(p)


def test_claude_paper_profile_system_parameter_and_image_blocks():
    kwargs = anthropic_kwargs(prompt("claude-3-7-sonnet"))

    def image(ref):
        return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(ref)}}

    assert kwargs["system"] == S2
    assert kwargs["max_tokens"] == 512 and kwargs["extra_body"] == {"temperature": 0.0}
    assert kwargs["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "What color is the lesion?"}, image(IMG_A)]},
        {"role": "assistant", "content": "Red."},
        {"role": "user", "content": [{"type": "text", "text": "What color is the spot?"}, image(IMG_B)]},
        {"role": "assistant", "content": "Green."},
        {"role": "user", "content": [{"type": "text", "text": "What color is this lesion?"}, image(IMG_C)]},
    ]


def test_anthropic_without_system_prompt_or_temperature_sends_neither():
    kwargs = anthropic_kwargs(prompt("qwen7B"), GenerationConfig(temperature=None))
    assert "system" not in kwargs and "extra_body" not in kwargs


def test_anthropic_refuses_a_system_turn_inside_the_conversation():
    with pytest.raises(ValueError, match="system turn inside the conversation"):
        anthropic_kwargs(prompt("gpt-4o"))
    with pytest.raises(UserError, match="system turns"):
        check_profile_roles(get_profile("gpt-4o").icl_answer_role, "gpt-4o")
    check_profile_roles(get_profile("claude-3-7-sonnet").icl_answer_role, "claude-3-7-sonnet")


def test_anthropic_refuses_more_images_than_a_request_takes():
    backend = AnthropicBackend("m", "k")
    many = Problem("many", tuple(Triplet("many", i, "q", "a", IMG_A) for i in range(100)), PROBLEM.query)
    p = build_prompt(many, "ICL", "open", get_profile("claude-3-7-sonnet"))
    with pytest.raises(ValueError, match="101 images"):
        backend.render(p)


def test_ollama_text_only_paper_prompt_is_one_user_turn_without_images_or_options():
    backend = OllamaBackend(
        "llama3.3", "http://127.0.0.1:1", generation=GenerationConfig(temperature=None, max_new_tokens=None)
    )
    messages = backend.render(prompt("llama33textonly"))
    assert messages == [
        {
            "role": "user",
            "content": (
                "You are an expert medical question-answering system. Here are some examples of "
                "questions and associated answers: \nWhat color is the lesion? Red.\nWhat color is the "
                'spot? Green.\nYour task is to provide an answer to the following question: "What color '
                'is this lesion?".'
            ),
        }
    ]
    assert backend.options() == {}
    assert OllamaBackend(
        "m", "h", generation=GenerationConfig(temperature=0.0, max_new_tokens=None)
    ).options() == {"temperature": 0.0}


def test_ollama_images_go_with_their_turn_in_order():
    messages = OllamaBackend("llava", "http://127.0.0.1:1").render(prompt("qwen7B"))
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert [m.get("images") for m in messages] == [[b64(IMG_A)], None, [b64(IMG_B)], None, [b64(IMG_C)]]
    assert messages[-1]["content"] == "What color is this lesion?"
