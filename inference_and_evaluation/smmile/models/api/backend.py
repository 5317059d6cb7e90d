"""The base of the API backends: concurrent requests through a provider SDK, one retry policy.

`ApiBackend.stream` runs up to `concurrency` requests at once through a provider SDK's async
client and yields each response as soon as it is known (the runner appends its record at once,
so a killed run loses only the requests in flight). Every request follows the one RetryPolicy
(retry.py); a run stops after requests in a row are refused (authentication, not found, no reply).
"""

from __future__ import annotations

import argparse
import time
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from smmile.errors import UserError
from smmile.models.api.concurrency import stream_concurrently
from smmile.models.api.errors import error_text
from smmile.models.api.images import NO_LIMITS, ImageEncoder, ImageLimits, prompt_images
from smmile.models.api.retry import FailureStreak, RetryPolicy
from smmile.models.base import Backend, GenerationConfig, LoadedModel
from smmile.redaction import redact
from smmile.types import Prompt, Response


@dataclass(frozen=True)
class ApiSettings:
    """How every API backend sends its requests (from the command line); what it asks for is the
    run's GenerationConfig."""

    concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)  # retries, timeouts, the stop rule

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UserError("--concurrency must be at least 1")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ApiSettings:
        """The --concurrency, retry and timeout flags."""
        retry = RetryPolicy(
            max_retries=args.max_retries,
            read_timeout_s=args.timeout,
            connect_timeout_s=args.connect_timeout,
            total_timeout_s=args.total_timeout,
            stop_after=args.stop_after,
        )
        return cls(concurrency=args.concurrency, retry=retry)


class ApiBackend(Backend):
    """A model behind an HTTP API. Subclasses open the SDK's async client and make one request.

    Every request goes through the settings' RetryPolicy. `sdk_retries`: the SDK retries HTTP
    faults itself (given the attempts left through `with_retries`); else the policy does it all.
    """

    provider = "api"
    limits: ImageLimits = NO_LIMITS
    sdk_retries = True

    def __init__(
        self,
        model: str,
        settings: ApiSettings | None = None,
        secrets: Sequence[str] = (),
        generation: GenerationConfig | None = None,
    ):
        self.model = model
        self.settings = settings or ApiSettings()
        self.generation_config = generation or GenerationConfig()
        self.secrets = tuple(s for s in secrets if s)
        self.images = ImageEncoder(self.limits)
        self.batch_size = self.settings.concurrency

    @property
    def policy(self) -> RetryPolicy:
        return self.settings.retry

    @abstractmethod
    def open_client(self) -> Any:
        """The SDK's async client (opened inside the event loop that uses it), with the policy's
        timeouts, `max_retries` and EVENT_HOOKS."""

    @abstractmethod
    def server(self) -> str:
        """The server's address as messages name it (no credentials)."""

    def with_retries(self, client: Any, max_retries: int) -> Any:
        """`client` allowed `max_retries` SDK retries (the Stainless SDKs' `with_options`)."""
        return (
            client if max_retries == self.policy.max_retries else client.with_options(max_retries=max_retries)
        )

    async def close_client(self, client: Any) -> None:
        await client.close()

    @abstractmethod
    async def request(self, client: Any, prompt: Prompt) -> Response:
        """Send one prompt; SDK errors propagate (the policy retries or records them), a body
        that does not parse raises MalformedReply (`retry.parsed` around the SDK call)."""

    def check_images(self, prompt: Prompt) -> int:
        n = prompt_images(prompt)
        if self.limits.max_images is not None and n > self.limits.max_images:
            raise ValueError(
                f"problem {prompt.problem_id}: {n} images, more than the {self.limits.max_images} "
                f"{self.provider} takes in one request"
            )
        return n

    async def _timed(self, client: Any, prompt: Prompt) -> Response:
        start = time.perf_counter()
        outcome = await self.policy.call(
            lambda retries: self.request(self.with_retries(client, retries), prompt), self.sdk_retries
        )
        latency = time.perf_counter() - start
        if outcome.error is not None:
            text = error_text(outcome.error, self.secrets)
            if outcome.note:
                text = redact(f"{text} ({outcome.note})", self.secrets)
            kind = outcome.failure.kind if outcome.failure else None
            response = Response.failure(text, latency, error_kind=kind)
        else:
            response = outcome.value if outcome.value is not None else Response.failure("no response")
            response.latency_s = latency
            if response.error:
                response.error = redact(response.error, self.secrets)
        if outcome.attempts > 1:
            response.usage = {**(response.usage or {}), "retries": outcome.attempts - 1}
        return response

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Response]]:
        """Responses as they finish. After `stop_after` requests in a row failed for
        authentication, not found or no reply, no request is started and, once their responses
        are handed over, ServiceRefused is raised."""
        streak = FailureStreak(self.policy.stop_after, self.server())

        async def call(client: Any, prompt: Prompt) -> Response:
            response = await self._timed(client, prompt)
            streak.see(response.error_kind, response.error)
            return response

        responses = stream_concurrently(
            prompts,
            call,
            self.open_client,
            self.close_client,
            self.settings.concurrency,
            on_error=lambda exc: Response.failure(error_text(exc, self.secrets)),
            stop=lambda: streak.refusal is not None,
        )
        with closing(responses):  # a stop closes the client and the loop before it is raised
            for handed, (index, response) in enumerate(responses, 1):
                yield index, response
                if streak.refusal is not None and handed >= streak.tripped_at:
                    raise streak.refusal
        if streak.refusal is not None:
            raise streak.refusal

    def request_settings(self) -> dict[str, Any]:
        g = self.generation_config
        return {"temperature": g.temperature, "max_tokens": g.max_new_tokens}

    def loaded(self) -> LoadedModel:
        return LoadedModel(source=f"{self.provider} {self.model}")

    def generation(self) -> dict[str, Any]:
        return self.request_settings()

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "backend": self.provider,
            "api_model": self.model,
            "concurrency": s.concurrency,
            "retry": s.retry.describe(),
            "request": self.request_settings(),  # nested: the manifest's secret filter spares it
            "images": self.images.describe(),
        }


def sampling(generation: GenerationConfig) -> Mapping[str, Any]:
    """The sampling settings to send (OpenAI's names): those that are set."""
    out: dict[str, Any] = {}
    if generation.temperature is not None:
        out["temperature"] = generation.temperature
    if generation.max_new_tokens is not None:
        out["max_tokens"] = generation.max_new_tokens
    return out
