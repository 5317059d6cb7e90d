"""Loopback HTTP servers speaking the OpenAI, Anthropic and ollama protocols, for tests and benches."""

from .protocols import AnthropicServer, OllamaServer, OpenAIServer
from .server import Fault, LoopbackServer, Recorded, Reply

__all__ = ["AnthropicServer", "Fault", "LoopbackServer", "OllamaServer", "OpenAIServer", "Recorded", "Reply"]
