"""Checks a checkpoint passes at load, each refusing in one line before time or memory is spent.

`check_family` reads only the config: a checkpoint of another family (which would load with a
long table of mismatched weights and then fail every record) or of an architecture transformers
cannot load as image-text-to-text is refused before any weight is read. `check_processor` needs
the processor: a chat family renders through the checkpoint's chat template, so one without a
template is refused. `load_step` turns what from_pretrained raises into one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from smmile.errors import UserError
from smmile.hub import check_access, describe_hub_error
from smmile.models.catalog import Family

MODEL_PATH_HINT = "download it where the hub is reachable and pass --model-path DIR"


def check_family(source: str, config: Any, family: Family, model_cls: Any) -> None:
    """Refuse a config that `family` (its declared model types, or its Auto class) cannot load."""
    model_type = getattr(config, "model_type", None) or "unknown"
    if family.model_types:
        if model_type not in family.model_types:
            wanted = " or ".join(repr(t) for t in family.model_types)
            raise UserError(
                f"{source}: a {model_type!r} checkpoint, but this script runs {wanted} checkpoints "
                f"({family.model_class}); use its family's script, or inference_hf.py for any "
                "image-text-to-text checkpoint"
            )
        return
    mapping = getattr(model_cls, "_model_mapping", None)
    if mapping is None or type(config) in mapping:
        return
    auto_map = getattr(config, "auto_map", None) or {}
    if model_cls.__name__ in auto_map:
        return  # the checkpoint's own code declares it (trust_remote_code was given to read it)
    remote = " (it ships its own code: add --trust-remote-code if you trust it)" if auto_map else ""
    raise UserError(
        f"{source}: transformers cannot load a {model_type!r} checkpoint as image-text-to-text "
        f"({model_cls.__name__}){remote}; SMMILE needs a model that takes images and text"
    )


def has_chat_template(processor: Any) -> bool:
    tokenizer = getattr(processor, "tokenizer", None)
    return bool(getattr(processor, "chat_template", None) or getattr(tokenizer, "chat_template", None))


def check_processor(source: str, processor: Any, family: Family) -> None:
    """Refuse a processor that cannot take images, or (chat families) has no chat template."""
    if not hasattr(processor, "image_processor"):
        raise UserError(
            f"{source}: AutoProcessor gave a {type(processor).__name__} without an image processor "
            "(transformers needs a working torchvision for this family; install requirements.txt)"
        )
    if family.call_style == "chat" and not has_chat_template(processor):
        raise UserError(
            f"{source}: the processor has no chat template, so the conversation cannot be rendered; "
            "use a checkpoint that ships one (chat_template.jinja or chat_template.json)"
        )


def check_hub_model(repo_id: str) -> None:
    """The hub's one quick answer on `repo_id` (unreachable, token refused, gated, missing)."""
    try:
        check_access(repo_id, "model")
    except UserError as exc:
        raise UserError(f"{exc}; or {MODEL_PATH_HINT}") from None


@contextmanager
def load_step(source: str, result_id: str, from_hub: bool) -> Iterator[None]:
    """What loading raises (hub access, missing files, bad configs) as one line naming `source`."""
    try:
        yield
    except UserError:
        raise
    except (OSError, ValueError, ImportError, KeyError) as exc:
        hub = describe_hub_error(exc, source, "model") if from_hub else None
        if hub is not None:
            raise UserError(f"{hub}; or {MODEL_PATH_HINT}") from None
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        hint = f"; if it cannot be downloaded here, {MODEL_PATH_HINT}" if from_hub else ""
        raise UserError(f"{source}: cannot load {result_id} ({first}){hint}") from None
