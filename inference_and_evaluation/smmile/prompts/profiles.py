"""Profiles: every way the paper's scripts differed from model to model, declared as data.

`get_profile(model, "paper")` reproduces a model's published prompt; `get_profile(model, "unified")`
gives every model the same default conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from smmile.prompts.extract import (
    EXTRACTORS,
    LENIENT,
    LENIENT_API,
    LENIENT_ECHO,
    MEDR1,
    ROBUST,
    STRICT,
    Extractor,
)
from smmile.prompts.extract_robust import RobustExtractor
from smmile.prompts.templates import F1, S1, S2

PROTOCOLS: tuple[str, ...] = ("paper", "unified")

_CHOICES: dict[str, tuple[object, ...]] = {
    "icl_answer_role": ("assistant", "system"),
    "icl_answer_suffix": ("", "\n"),
    "images": ("all", "query", "none"),
    "conversation": ("chat", "medr1", "textonly"),
    "mcqa_template": ("T1", "T2", "T2L", "medr1", "textonly"),
    "option_style": ("shuffled", "medr1"),
}


@dataclass(frozen=True)
class Profile:
    """How one model is prompted and how its MCQA replies are read.

    name: the model id (result file names). system_prompt: first message, or None.
    text_first: text part before the image part in user turns.
    icl_answer_role / icl_answer_suffix: the role and trailing text of the ICL answer turns.
    images: which images go in ("all", only the "query"'s, or "none").
    conversation: "chat" (a user turn per example, then an answer turn), "medr1" (one user turn,
    examples as text) or "textonly" (one text-only user turn, prompts P0/P1).
    mcqa_template: T1, T2, T2L (T2 + the Llama lines), "medr1" or "textonly" (text-only frame + T1).
    option_style: "shuffled" (`L. answer` lines, shuffled per problem) or "medr1" (`L) answer`, in
    letter order). extractor: how MCQA replies are read (an `Extractor`: its markers, rules and when
    the option-text fallback runs; the unified protocol's robust one).
    mcqa_follow_up: a second request sent when nothing can be read in an MCQA reply (text-only: F1),
    or None. request_options: extra request fields an API backend sends (GPT-4o: logprobs).
    temperature: sampling temperature; None leaves the backend's default (sampling on).
    """

    name: str
    system_prompt: str | None = None
    text_first: bool = False
    icl_answer_role: str = "assistant"
    icl_answer_suffix: str = ""
    images: str = "all"
    conversation: str = "chat"
    mcqa_template: str = "T1"
    option_style: str = "shuffled"
    extractor: Extractor | RobustExtractor = LENIENT
    mcqa_follow_up: str | None = None
    request_options: tuple[tuple[str, object], ...] = ()
    temperature: float | None = 0.0
    max_new_tokens: int = 512

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"profile {self.name!r}: {name}={value!r} is not one of {allowed}")
        if self.extractor not in EXTRACTORS.values():
            raise ValueError(
                f"profile {self.name!r}: extractor {self.extractor!r} is not one of {tuple(EXTRACTORS)}"
            )
        if (self.conversation == "textonly") != (self.images == "none"):
            raise ValueError(f"profile {self.name!r}: a text-only conversation goes with images='none'")
        if (self.conversation == "textonly") != (self.mcqa_template == "textonly"):
            raise ValueError(
                f"profile {self.name!r}: the text-only conversation uses the text-only MCQA frame"
            )

    @property
    def sees_images(self) -> bool:
        return self.images != "none"


def _default(name: str) -> Profile:
    return Profile(name=name)


def _paper_profiles() -> dict[str, Profile]:
    defaults = [
        "qwen3B",
        "qwen7B",
        "qwen32B",
        "qwen72B",
        "llava_7b",
        "llava_13b",
        "llavanext_7b",
        "llavaonevision_0.5b",
        "llavaonevision_7b",
    ]
    profiles = {name: _default(name) for name in defaults}
    # LLaVA-1.5's scripts read the decoded prompt echo, whose assistant marker let the text fallback run
    profiles.update({name: Profile(name=name, extractor=LENIENT_ECHO) for name in ("llava_7b", "llava_13b")})
    profiles.update(
        {
            "llama32_vision_90b": Profile(
                name="llama32_vision_90b", icl_answer_suffix="\n", mcqa_template="T2L", extractor=STRICT
            ),
            "MedVLM-R1": Profile(
                name="MedVLM-R1",
                images="query",
                conversation="medr1",
                mcqa_template="medr1",
                option_style="medr1",
                extractor=MEDR1,
            ),
            "medgemma_4b": Profile(
                name="medgemma_4b", system_prompt=S1, text_first=True, mcqa_template="T2", extractor=STRICT
            ),
            "llavamed": Profile(name="llavamed"),
            "claude-3-7-sonnet": Profile(
                name="claude-3-7-sonnet", system_prompt=S2, text_first=True, extractor=LENIENT_API
            ),
            "gpt-4o": Profile(
                name="gpt-4o",
                system_prompt=S2,
                text_first=True,
                icl_answer_role="system",
                extractor=LENIENT_API,
                request_options=(("logprobs", True),),  # the authors' requests asked for them (not kept)
            ),
            "llama33textonly": Profile(
                name="llama33textonly",
                images="none",
                conversation="textonly",
                mcqa_template="textonly",
                mcqa_follow_up=F1,
                temperature=None,
            ),
            "random": Profile(name="random"),
            "majority": Profile(name="majority"),
        }
    )
    return profiles


PAPER_PROFILES: dict[str, Profile] = _paper_profiles()

# What the unified protocol keeps from a paper profile: facts about the model, not prompt choices.
_MODEL_FACTS = ("max_new_tokens",)
_TEXT_ONLY_FACTS = ("images", "conversation", "mcqa_template")


def get_profile(model_id: str, protocol: str = "paper") -> Profile:
    """The profile of `model_id` under `protocol` ("paper" or "unified").

    An unknown model id (a custom or served model) has no paper script to reproduce: it gets the
    unified profile (default conversation, robust extractor) under its own name, whatever `protocol`.
    Under "unified" every model gets the default conversation and the robust extractor; a model that
    cannot see images keeps its text-only frames, and a model keeps its chat format (e.g. LLaVA-Med's
    Mistral instruct turns).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    paper = PAPER_PROFILES.get(model_id) or _default(model_id)
    if protocol == "paper" and model_id in PAPER_PROFILES:
        return paper
    keep = _MODEL_FACTS + (_TEXT_ONLY_FACTS if not paper.sees_images else ())
    return replace(_default(model_id), extractor=ROBUST, **{name: getattr(paper, name) for name in keep})


__all__ = ["PAPER_PROFILES", "PROTOCOLS", "Profile", "get_profile"]
