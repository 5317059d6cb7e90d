"""OpenAI chat completions: OpenAI, Azure OpenAI, and any OpenAI-compatible server (vLLM, SGLang,
ollama, LM Studio) through the official `openai` SDK's async client.

Which service: `--base-url URL` (an OpenAI-compatible server) wins; else Azure OpenAI when
AZURE_OPENAI_ENDPOINT is set (AZURE_OPENAI_API_KEY, AZURE_OPENAI_API_VERSION); else OpenAI
(OPENAI_API_KEY). Keys are read from the environment and go nowhere but the client.

Rendering: each message keeps its role (the GPT-4o paper profile's ICL answers are `system`
turns, as the authors sent them). A message with images is a list of parts in the Prompt's order,
images as PNG data URLs with `detail: high`; a message without images is a plain string.
A profile's request options go into every request as they are (GPT-4o's paper `logprobs: true`:
the log probabilities come back but are not kept).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smmile.errors import UserError
from smmile.models.api.backend import ApiBackend, ApiSettings, sampling
from smmile.models.api.images import ImageLimits
from smmile.models.api.retry import EVENT_HOOKS, MalformedReply, parsed
from smmile.models.base import GenerationConfig
from smmile.redaction import public_url
from smmile.types import Image, Prompt, Response, Text

AZURE_DEFAULT_API_VERSION = "2024-05-01-preview"
PLACEHOLDER_KEY = "EMPTY"  # what OpenAI-compatible servers without authentication accept
OPENAI_LIMITS = ImageLimits(max_b64_chars=20 * 1024 * 1024)
OPENAI_SERVER = "https://api.openai.com/v1"  # the SDK's default base URL


@dataclass(frozen=True)
class OpenAIService:
    """Where requests go. kind: "openai", "azure" or "compatible"."""

    kind: str
    api_key: str
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None

    @classmethod
    def from_env(cls, base_url: str | None = None, env: Mapping[str, str] | None = None) -> OpenAIService:
        """The service the flags and environment name; a missing key is a UserError."""
        env = os.environ if env is None else env
        if base_url:
            return cls("compatible", env.get("OPENAI_API_KEY") or PLACEHOLDER_KEY, base_url=base_url)
        endpoint = env.get("AZURE_OPENAI_ENDPOINT")
        if endpoint:
            key = env.get("AZURE_OPENAI_API_KEY")
            if not key:
                raise UserError("AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not")
            version = env.get("AZURE_OPENAI_API_VERSION") or AZURE_DEFAULT_API_VERSION
            return cls("azure", key, azure_endpoint=endpoint, api_version=version)
        key = env.get("OPENAI_API_KEY")
        if not key:
            raise UserError(
                "OPENAI_API_KEY is not set (or set AZURE_OPENAI_ENDPOINT for Azure, or give --base-url)"
            )
        return cls("openai", key, base_url=env.get("OPENAI_BASE_URL") or None)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"service": self.kind}
        if self.base_url:
            out["base_url"] = public_url(self.base_url)
        if self.azure_endpoint:
            out["azure_endpoint"] = public_url(self.azure_endpoint)
            out["api_version"] = self.api_version
        return out


class OpenAIBackend(ApiBackend):
    """Chat completions; `model` is the model name (Azure: the deployment name)."""

    provider = "openai"
    limits = OPENAI_LIMITS

    def __init__(
        self,
        model: str,
        service: OpenAIService,
        settings: ApiSettings | None = None,
        generation: GenerationConfig | None = None,
        image_detail: str = "high",
    ):
        super().__init__(model, settings, secrets=(service.api_key,), generation=generation)
        self.service = service
        self.image_detail = image_detail
        self.request_options = dict(self.generation_config.request_options)  # GPT-4o's paper `logprobs`

    def open_client(self) -> Any:
        import httpx2
        import openai

        s, policy = self.service, self.policy
        common = {
            "max_retries": policy.max_retries,
            "timeout": policy.timeout(httpx2),
            "http_client": openai.DefaultAsyncHttpxClient(event_hooks=EVENT_HOOKS),
        }
        if s.kind == "azure":
            return openai.AsyncAzureOpenAI(
                api_key=s.api_key, azure_endpoint=s.azure_endpoint, api_version=s.api_version, **common
            )
        return openai.AsyncOpenAI(api_key=s.api_key, base_url=s.base_url, **common)

    def render(self, prompt: Prompt) -> list[dict[str, Any]]:
        """The chat messages of `prompt`, roles as given."""
        n_images = self.check_images(prompt)
        messages: list[dict[str, Any]] = []
        for message in prompt.messages:
            if not any(isinstance(p, Image) for p in message.parts):
                messages.append({"role": message.role, "content": message.text})
                continue
            if message.role != "user":
                raise ValueError(f"problem {prompt.problem_id}: images in a {message.role!r} turn")
            parts: list[dict[str, Any]] = []
            for part in message.parts:
                if isinstance(part, Text):
                    parts.append({"type": "text", "text": part.text})
                else:
                    url = self.images.encode(part.image, n_images).data_url
                    parts.append(
                        {"type": "image_url", "image_url": {"url": url, "detail": self.image_detail}}
                    )
            messages.append({"role": "user", "content": parts})
        return messages

    async def request(self, client: Any, prompt: Prompt) -> Response:
        # The SDK's generic `post` (its retries, auth and Azure deployment paths), returning the
        # reply's JSON as is: the typed `create` walks every message part through its parameter
        # transform and builds models of the reply, milliseconds of CPU per image-laden request
        # that cap throughput at high concurrency.
        body = {
            "model": self.model,
            "messages": self.render(prompt),
            **sampling(self.generation_config),
            **self.request_options,
        }
        reply = await parsed(client.post("/chat/completions", body=body, cast_to=object))
        return parse_completion(reply)

    def server(self) -> str:
        s = self.service
        return public_url(s.azure_endpoint if s.kind == "azure" else s.base_url) or OPENAI_SERVER

    def request_settings(self) -> dict[str, Any]:
        return {**super().request_settings(), "image_detail": self.image_detail, **self.request_options}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), **self.service.describe()}


def parse_completion(reply: Any) -> Response:
    """The text and usage of a chat-completion reply (JSON); a reply of another shape is
    MalformedReply (retried); a completion without text is the model's reply (an error record)."""
    try:
        choice = reply["choices"][0]
        text, finish = choice["message"].get("content"), choice.get("finish_reason")
    except (TypeError, KeyError, IndexError, AttributeError):
        raise MalformedReply(f"not a chat completion: {str(reply)[:200]}") from None
    meta: dict[str, Any] = {"finish_reason": finish}
    usage = reply.get("usage") or {}
    meta.update({k: usage[k] for k in ("prompt_tokens", "completion_tokens") if k in usage})
    if not isinstance(text, str):
        return Response(None, "error", f"reply has no text (finish_reason {finish})", usage=meta)
    return Response(text=text, usage=meta)
