"""ollama's /api/chat through the official `ollama` SDK's async client.

Rendering: one message per turn, `content` the turn's text parts joined, `images` the turn's
images as base64 PNG (absent when the turn has none). Options are sent only when set: the paper's
text-only run and judge sent none (ollama's default sampling), `--temperature 0` makes it greedy.

Retries: the ollama client has none of its own; every retry of a request is the one
RetryPolicy's (retry.py), which also sees the retry-after of a 429 through its event hooks.
"""

from __future__ import annotations

import os
from typing import Any

from smmile.models.api.backend import ApiBackend, ApiSettings
from smmile.models.api.retry import EVENT_HOOKS, parsed
from smmile.models.base import GenerationConfig
from smmile.redaction import public_url
from smmile.types import Image, Prompt, Response

DEFAULT_HOST = "http://localhost:11434"


def ollama_host(flag: str | None = None) -> str:
    """`--ollama-host`, else OLLAMA_HOST, else ollama's default address (scheme added if absent)."""
    host = flag or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST
    return host if "://" in host else f"http://{host}"


class OllamaBackend(ApiBackend):
    provider = "ollama"
    sdk_retries = False  # the ollama SDK does not retry: the policy makes every attempt

    def __init__(
        self,
        model: str,
        host: str | None = None,
        settings: ApiSettings | None = None,
        generation: GenerationConfig | None = None,
    ):
        secrets = (os.environ.get("OLLAMA_API_KEY", ""),)
        super().__init__(model, settings, secrets=secrets, generation=generation)
        self.host = ollama_host(host)

    def open_client(self) -> Any:
        import httpx
        import ollama

        return ollama.AsyncClient(host=self.host, timeout=self.policy.timeout(httpx), event_hooks=EVENT_HOOKS)

    def with_retries(self, client: Any, max_retries: int) -> Any:
        return client

    def server(self) -> str:
        return public_url(self.host) or self.host

    def render(self, prompt: Prompt) -> list[dict[str, Any]]:
        n_images = self.check_images(prompt)
        messages: list[dict[str, Any]] = []
        for message in prompt.messages:
            out: dict[str, Any] = {"role": message.role, "content": message.text}
            images = [p.image for p in message.parts if isinstance(p, Image)]
            if images:
                out["images"] = [self.images.encode(ref, n_images).b64 for ref in images]
            messages.append(out)
        return messages

    def options(self) -> dict[str, Any]:
        g, out = self.generation_config, {}
        if g.temperature is not None:
            out["temperature"] = g.temperature
        if g.max_new_tokens is not None:
            out["num_predict"] = g.max_new_tokens
        return out

    async def request(self, client: Any, prompt: Prompt) -> Response:
        messages, options = self.render(prompt), self.options()
        reply = await parsed(client.chat(model=self.model, messages=messages, options=options or None))
        meta = {
            "prompt_eval_count": reply.prompt_eval_count,
            "eval_count": reply.eval_count,
            "done_reason": reply.done_reason,
        }
        text = reply.message.content if reply.message is not None else None
        if text is None:
            return Response(None, "error", "reply has no text", usage=meta)
        return Response(text=text, usage=meta)

    def request_settings(self) -> dict[str, Any]:
        return {"options": self.options()}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "host": public_url(self.host)}
