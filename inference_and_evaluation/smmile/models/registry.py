"""Backends by name, each imported only when one is built: torch, transformers and the provider
SDKs are imported by the runs that use them, never by a script parsing its flags."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smmile.models.base import Backend

BACKENDS: dict[str, str] = {
    "transformers": "smmile.models.transformers_backend:TransformersBackend",
    "openai": "smmile.models.openai_backend:OpenAIBackend",
    "anthropic": "smmile.models.anthropic_backend:AnthropicBackend",
    "ollama": "smmile.models.ollama_backend:OllamaBackend",
    "baseline": "smmile.models.baselines:BaselineBackend",
}


def backend_class(name: str) -> type[Backend]:
    """The class registered as `name`, its module imported now."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    module, _, cls = BACKENDS[name].partition(":")
    return getattr(import_module(module), cls)


def build(name: str, *args: Any, **kwargs: Any) -> Backend:
    """A backend of the class registered as `name`, built with these arguments."""
    return backend_class(name)(*args, **kwargs)
