"""Anthropic's Messages API through the official `anthropic` SDK's async client.

Rendering: the Prompt's leading system messages become the `system` parameter. The Messages API
has no system turn inside a conversation, so a prompt with one (the GPT-4o paper profile's ICL
answers) is refused with a clear error rather than sent under another role. Images are base64
PNG blocks in the order of the Prompt's parts. The temperature goes in the request body
(`extra_body`): SDK 1.x and later dropped the sampling arguments from `messages.create`, while
the API still takes them for the models that honour them (claude-3-7-sonnet among them).

Limits: 5 MB of base64 per image, 8000 px per side (2000 px when a request holds more than 20
images), at most 100 images per request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from smmile.errors import UserError
from smmile.models.api.backend import ApiBackend, ApiSettings
from smmile.models.api.images import ImageLimits
from smmile.models.api.retry import EVENT_HOOKS, MalformedReply, parsed
from smmile.models.base import GenerationConfig
from smmile.redaction import public_url
from smmile.types import Image, Prompt, Response, Text

ANTHROPIC_LIMITS = ImageLimits(
    max_b64_chars=5 * 1024 * 1024, max_side=8000, many_images=20, many_max_side=2000, max_images=100
)
DEFAULT_MAX_TOKENS = 512  # the Messages API requires max_tokens
ANTHROPIC_SERVER = "https://api.anthropic.com"  # the SDK's default base URL


def anthropic_key(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    key = env.get("ANTHROPIC_API_KEY")
    if not key:
        raise UserError("ANTHROPIC_API_KEY is not set")
    return key


def check_profile_roles(icl_answer_role: str, model_id: str) -> None:
    """Refuse, before any request, a profile whose ICL answers are system turns."""
    if icl_answer_role == "system":
        raise UserError(
            f"the {model_id!r} profile sends its in-context answers as system turns, which Anthropic's "
            "Messages API does not have; choose another --name or --protocol unified"
        )


class AnthropicBackend(ApiBackend):
    provider = "anthropic"
    limits = ANTHROPIC_LIMITS

    def __init__(
        self,
        model: str,
        api_key: str,
        settings: ApiSettings | None = None,
        generation: GenerationConfig | None = None,
        base_url: str | None = None,
    ):
        super().__init__(model, settings, secrets=(api_key,), generation=generation)
        self._api_key = api_key
        self.base_url = base_url

    def open_client(self) -> Any:
        import anthropic
        import httpx2

        return anthropic.AsyncAnthropic(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=self.policy.max_retries,
            timeout=self.policy.timeout(httpx2),
            http_client=anthropic.DefaultAsyncHttpxClient(event_hooks=EVENT_HOOKS),
        )

    def server(self) -> str:
        return public_url(self.base_url) or ANTHROPIC_SERVER

    def render(self, prompt: Prompt) -> dict[str, Any]:
        """`system` (or None) and `messages` of the request."""
        n_images = self.check_images(prompt)
        system: list[str] = []
        messages: list[dict[str, Any]] = []
        for message in prompt.messages:
            if message.role == "system":
                if messages:
                    raise ValueError(
                        f"problem {prompt.problem_id}: a system turn inside the conversation "
                        "(Anthropic's Messages API has none)"
                    )
                system.append(message.text)
                continue
            if not any(isinstance(p, Image) for p in message.parts):
                messages.append({"role": message.role, "content": message.text})
                continue
            blocks: list[dict[str, Any]] = []
            for part in message.parts:
                if isinstance(part, Text):
                    blocks.append({"type": "text", "text": part.text})
                else:
                    encoded = self.images.encode(part.image, n_images)
                    source = {"type": "base64", "media_type": encoded.media_type, "data": encoded.b64}
                    blocks.append({"type": "image", "source": source})
            messages.append({"role": message.role, "content": blocks})
        return {"system": "\n\n".join(system) if system else None, "messages": messages}

    def request_kwargs(self, prompt: Prompt) -> dict[str, Any]:
        rendered = self.render(prompt)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.generation_config.max_new_tokens or DEFAULT_MAX_TOKENS,
            "messages": rendered["messages"],
        }
        if rendered["system"] is not None:
            kwargs["system"] = rendered["system"]
        if self.generation_config.temperature is not None:
            kwargs["extra_body"] = {"temperature": self.generation_config.temperature}
        return kwargs

    async def request(self, client: Any, prompt: Prompt) -> Response:
        message = await parsed(client.messages.create(**self.request_kwargs(prompt)))
        blocks = getattr(message, "content", None)
        if not isinstance(blocks, list):
            raise MalformedReply(f"reply without content: {str(message)[:200]}")
        texts = [b.text for b in blocks if getattr(b, "type", None) == "text"]
        usage = getattr(message, "usage", None)
        meta: dict[str, Any] = {"stop_reason": getattr(message, "stop_reason", None)}
        if usage is not None:
            meta.update(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)
        if not texts:
            return Response(
                None, "error", f"reply has no text (stop_reason {meta['stop_reason']})", usage=meta
            )
        return Response(text="".join(texts), usage=meta)

    def request_settings(self) -> dict[str, Any]:
        g = self.generation_config
        return {"temperature": g.temperature, "max_tokens": g.max_new_tokens or DEFAULT_MAX_TOKENS}

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.base_url:
            out["base_url"] = public_url(self.base_url)
        return out
