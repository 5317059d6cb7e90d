"""The one interface every model implements: generate(prompts) -> responses."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from smmile.types import Prompt, Response


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
    """A model. Subclasses implement `generate`; `stream` may be overridden for concurrency."""

    batch_size: int = 1

    @abstractmethod
    def generate(self, prompts: Sequence[Prompt]) -> list[Response]:
        """One response per prompt, in order. A prompt that fails is an error Response."""

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Response]]:
        """Yield (index, response) as responses become known; batches of `batch_size`.

        An exception from a batch becomes an error response for each of its prompts.
        """
        step = max(1, self.batch_size)
        for start in range(0, len(prompts), step):
            chunk = prompts[start : start + step]
            try:
                responses = self.generate(chunk)
            except Exception as exc:  # recorded as data, retried by the next run
                responses = [Response.failure(f"{type(exc).__name__}: {exc}") for _ in chunk]
            if len(responses) != len(chunk):
                responses = [Response.failure("backend returned a wrong number of responses") for _ in chunk]
            yield from enumerate(responses, start)

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
