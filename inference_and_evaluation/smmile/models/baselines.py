"""The paper's two baselines: answer with a random / the most common in-context answer."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from smmile.models.base import Backend, LoadedModel, batched
from smmile.seeding import problem_rng
from smmile.types import Prompt, Response

BASELINES = ("random", "majority")


def pick_answer(kind: str, answers: Sequence[str], seed: int, problem_id: str) -> str:
    """The baseline's answer among the in-context answers (ties of majority: first seen wins)."""
    if kind == "random":
        return problem_rng(seed, problem_id, "random-baseline").choice(list(answers))
    if kind == "majority":
        return Counter(answers).most_common(1)[0][0]
    raise ValueError(f"unknown baseline {kind!r}")


class BaselineBackend(Backend):
    """Answers from the prompt's in-context answers; MCQA replies name the answer's letter.

    In MCQA only in-context answers that are options count (an irrelevant example's answer, added
    by an ablation, is not one); on the paper's plain runs every in-context answer is an option.
    """

    def __init__(self, kind: str):
        if kind not in BASELINES:
            raise ValueError(f"unknown baseline {kind!r}; choose from {BASELINES}")
        self.kind = kind

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Response]]:
        return batched(prompts, lambda batch: [self.answer(p) for p in batch])

    def answer(self, prompt: Prompt) -> Response:
        start = time.perf_counter()
        answers = prompt.icl_answers
        if prompt.mcqa is not None:  # a choice must be an option: in-context answers that are not
            answers = tuple(a for a in answers if a in prompt.mcqa.options.values())  # (irrelevant examples')
        if not answers:
            return Response.failure(
                "baselines answer from in-context examples; this prompt has none to offer"
            )
        answer = pick_answer(self.kind, answers, prompt.seed, prompt.problem_id)
        if prompt.mcqa is None:
            text = answer
        else:
            letter = next(letter for letter, option in prompt.mcqa.options.items() if option == answer)
            text = f"<answer>{letter}</answer>"
        return Response(text=text, latency_s=time.perf_counter() - start)

    def describe(self) -> dict[str, Any]:
        return {"backend": "baseline", "baseline": self.kind}

    def loaded(self) -> LoadedModel:
        return LoadedModel(source=f"baseline {self.kind}")
