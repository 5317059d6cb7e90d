"""The MCQA follow-up of the text-only paper profile (PROTOCOL.md: F1).

When nothing can be read in a reply, the model is asked once more, in the same conversation
[user: prompt, assistant: reply, user: F1]; the recorded reply is both replies joined as the
authors joined them, and the option is read again from that text. The authors skipped this for the
last problem their loop processed; here every problem is treated alike (an order-free rule, so
resuming or sharding a run does not change a record).
"""

from __future__ import annotations

from dataclasses import replace

from smmile.models.base import Backend
from smmile.prompts import EXTRACTION_FAILED, Profile, extract_option
from smmile.prompts.templates import FOLLOW_UP_JOIN
from smmile.types import Message, Prompt, Response, Text


def needs_follow_up(profile: Profile, prompt: Prompt, response: Response) -> bool:
    """Whether the profile asks again: an ok MCQA reply in which its extractor reads nothing."""
    return (
        profile.mcqa_follow_up is not None
        and prompt.mcqa is not None
        and response.status == "ok"
        and extract_option(response.text, prompt.mcqa.options, profile.extractor) == EXTRACTION_FAILED
    )


def follow_up_prompt(prompt: Prompt, reply: str, follow_up: str) -> Prompt:
    """The conversation of the second request: the prompt, the model's reply, then the follow-up."""
    turns = (Message("assistant", (Text(reply),)), Message("user", (Text(follow_up),)))
    return replace(prompt, messages=tuple(prompt.messages) + turns)


def with_follow_up(backend: Backend, profile: Profile, prompt: Prompt, response: Response) -> Response:
    """`response`, or, when the profile asks again, the two replies joined (an error if the second failed)."""
    if not needs_follow_up(profile, prompt, response):
        return response
    assert profile.mcqa_follow_up is not None and response.text is not None
    (second,) = backend.generate([follow_up_prompt(prompt, response.text, profile.mcqa_follow_up)])
    latency = response.latency_s + second.latency_s
    usage = {**(response.usage or {}), "follow_up": second.usage or {}}
    if second.status != "ok" or second.text is None:
        error = f"follow-up request: {second.error or 'no reply'}"
        return Response(response.text, "error", error, latency_s=latency, usage=usage)
    joined = FOLLOW_UP_JOIN.format(reply=response.text, follow_up=profile.mcqa_follow_up, second=second.text)
    return Response(joined, latency_s=latency, usage=usage)
