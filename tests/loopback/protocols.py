"""Loopback servers for the three protocols the API backends speak.

- OpenAIServer: POST /v1/chat/completions (OpenAI and any compatible server) and Azure's
  /openai/deployments/<deployment>/chat/completions?api-version=...
- AnthropicServer: POST /v1/messages (the Messages API).
- OllamaServer: POST /api/chat (ollama's chat endpoint, non-streaming).
OpenAI's GET .../models and ollama's GET /api/tags list the server's `models`.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .server import LoopbackServer, Recorded, Reply

_AZURE = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")


def _content_text(content: Any) -> str:
    """The text of a message's content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _logprobs(text: str) -> dict[str, Any]:
    """Chat-completion log probabilities, as the API returns them when a request asks for them."""
    return {
        "content": [
            {"token": t, "logprob": -0.25, "bytes": list(t.encode("utf-8", "surrogatepass"))}
            for t in text.split()
        ]
    }


class OpenAIServer(LoopbackServer):
    name = "openai-loopback"

    def routes(self, path: str) -> bool:
        return path.endswith("/chat/completions")

    def listing(self, path: str) -> dict[str, Any] | None:
        if not path.endswith("/models"):
            return None
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "owned_by": "loopback"} for m in self.models],
        }

    @staticmethod
    def deployment(request: Recorded) -> str | None:
        m = _AZURE.match(request.path)
        return m["deployment"] if m else None

    def last_text(self, request: Recorded) -> str:
        messages = (request.json or {}).get("messages") or [{}]
        return _content_text(messages[-1].get("content"))

    def render_reply(self, request: Recorded, reply: Reply) -> dict[str, Any]:
        model = (request.json or {}).get("model") or self.deployment(request) or "unknown"
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": "stop",
                    "logprobs": _logprobs(reply.text) if (request.json or {}).get("logprobs") else None,
                }
            ],
            "usage": {
                "prompt_tokens": reply.input_tokens,
                "completion_tokens": reply.output_tokens,
                "total_tokens": reply.input_tokens + reply.output_tokens,
            },
        }


class AnthropicServer(LoopbackServer):
    name = "anthropic-loopback"

    def routes(self, path: str) -> bool:
        return path == "/v1/messages"

    def last_text(self, request: Recorded) -> str:
        messages = (request.json or {}).get("messages") or [{}]
        return _content_text(messages[-1].get("content"))

    def render_reply(self, request: Recorded, reply: Reply) -> dict[str, Any]:
        return {
            "id": f"msg_{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": (request.json or {}).get("model", "unknown"),
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }


class OllamaServer(LoopbackServer):
    name = "ollama-loopback"

    def routes(self, path: str) -> bool:
        return path == "/api/chat"

    def listing(self, path: str) -> dict[str, Any] | None:
        if path != "/api/tags":
            return None
        return {
            "models": [
                {"name": f"{m}:latest" if ":" not in m else m, "model": f"{m}:latest" if ":" not in m else m}
                for m in self.models
            ]
        }

    def last_text(self, request: Recorded) -> str:
        messages = (request.json or {}).get("messages") or [{}]
        return str(messages[-1].get("content") or "")

    def render_reply(self, request: Recorded, reply: Reply) -> dict[str, Any]:
        return {
            "model": (request.json or {}).get("model", "unknown"),
            "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": reply.text},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": reply.input_tokens,
            "eval_count": reply.output_tokens,
        }
