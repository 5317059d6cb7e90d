"""The one interface every model implements: stream(prompts) -> (index, response) as each is known;
how a run asks it to answer (GenerationConfig); and a model as a script declares it (ModelSpec)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smmile.types import Prompt, Response

if TYPE_CHECKING:
    from smmile.prompts import Profile


@dataclass(frozen=True)
class GenerationConfig:
    """How a run asks its model to answer: resolved once per run, from the profile and what the
    script changes in it, carried by the run's config and handed to the backend.

    temperature: None sends none (the server's default: sampling on); local models decode greedily.
    max_new_tokens: the most new tokens (None: no limit sent). request_options: extra fields an
    OpenAI-compatible request carries (GPT-4o's paper `logprobs`). min_new_tokens: benchmarks only.
    """

    temperature: float | None = 0.0
    max_new_tokens: int | None = 512
    request_options: tuple[tuple[str, object], ...] = ()
    min_new_tokens: int | None = None

    @classmethod
    def of(cls, profile: Profile, **changes: Any) -> GenerationConfig:
        """The profile's settings, with `changes` (a script's flags) applied."""
        settings = {
            "temperature": profile.temperature,
            "max_new_tokens": profile.max_new_tokens,
            "request_options": profile.request_options,
        }
        return cls(**{**settings, **changes})


@dataclass(frozen=True)
class LoadedModel:
    """What a backend actually answers with, for the run identity (None where unknown).

    source: the hub id, the API's model name, or "local folder"; path: that folder (recorded,
    not compared: a copied checkpoint is the same model); revision: the hub commit, or a
    fingerprint of the local folder's files; config: a fingerprint of the loaded model config.
    """

    source: str | None = None
    path: str | None = None
    revision: str | None = None
    config: str | None = None


class Backend(ABC):
    """A model. Subclasses implement `stream`; one that answers a batch at a time streams through
    `batched`."""

    batch_size: int = 1

    @abstractmethod
    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Response]]:
        """Yield (index, response) for every prompt as responses become known. A prompt that fails
        is an error Response."""

    def generate(self, prompts: Sequence[Prompt]) -> list[Response]:
        """One response per prompt, in order (the stream, collected)."""
        out: list[Response | None] = [None] * len(prompts)
        for index, response in self.stream(prompts):
            out[index] = response
        return [r if r is not None else Response.failure("no response") for r in out]

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this backend (no secrets)."""
        return {"backend": type(self).__name__, "batch_size": self.batch_size}

    def loaded(self) -> LoadedModel:
        """What was loaded or is called (part of the run identity)."""
        return LoadedModel(source=type(self).__name__)

    def generation(self) -> dict[str, Any]:
        """The settings that shape an answer (part of the run identity); not speed settings."""
        return {}

    def close(self) -> None:
        """Release resources (GPU memory, clients)."""


def batched(
    prompts: Sequence[Prompt],
    generate_batch: Callable[[Sequence[Prompt]], Sequence[Response]],
    batch_size: int = 1,
    order: Sequence[int] | None = None,
) -> Iterator[tuple[int, Response]]:
    """The stream of a backend that answers a batch at a time: `generate_batch` answers up to
    `batch_size` prompts at once, taken in `order` (indices; default: as given), and each
    (index, response) is yielded as its batch finishes. An exception from a batch becomes an error
    response for each of its prompts (recorded as data, retried by the next run)."""
    indices = list(range(len(prompts))) if order is None else list(order)
    step = max(1, batch_size)
    for start in range(0, len(indices), step):
        chunk = indices[start : start + step]
        batch = [prompts[i] for i in chunk]
        try:
            responses = list(generate_batch(batch))
        except Exception as exc:
            responses = [Response.failure(f"{type(exc).__name__}: {exc}") for _ in batch]
        if len(responses) != len(batch):
            responses = [Response.failure("backend returned a wrong number of responses") for _ in batch]
        yield from zip(chunk, responses, strict=True)


@dataclass(frozen=True)
class ModelSpec:
    """A model a script can run.

    model_id: its result id. make_backend: builds its backend for the run's generation settings
    (only when the run starts). profile: the paper profile it is prompted with (None: its result
    id's; --profile overrides either). generation: what the script changes in the profile's
    generation settings (e.g. --max-new-tokens). check_profile: refuses, before anything is loaded,
    a profile this model cannot be prompted with.
    """

    model_id: str
    make_backend: Callable[[GenerationConfig], Backend]
    profile: str | None = None
    generation: Mapping[str, Any] = field(default_factory=dict)
    check_profile: Callable[[Profile], None] | None = None
