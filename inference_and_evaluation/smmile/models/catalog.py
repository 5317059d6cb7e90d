"""The paper's open-weight models, declared as data for the one transformers backend.

A `Family` says how transformers loads and prompts a kind of model: the model class, how the
processor is called, the paper's dtype, an image limit if the model has one, and at most a small
hook where a processor really differs. A `LocalModel` is one checkpoint of a family under its
result id (the name of its result files and of its paper profile).

Nothing here imports torch, transformers or a backend: scripts import this module to parse their flags
cheaply; the backend is built (and the heavy libraries imported) only when a run starts.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smmile.errors import UserError
from smmile.models.base import Backend, GenerationConfig, ModelSpec
from smmile.models.registry import build
from smmile.results.result_ids import check_result_id, result_id

CALL_STYLES = ("chat", "mistral_inst")
DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTN_IMPLEMENTATIONS = ("auto", "sdpa", "eager", "flash_attention_2")


def fill_llava_processor(processor: Any, config: Any) -> None:
    """LLaVA processors saved by transformers' weight-conversion script lack the numbers that size
    an image's placeholder run; take them from the model config (CLIP towers add one CLS token)."""
    if getattr(processor, "patch_size", 0) is None:
        processor.patch_size = config.vision_config.patch_size
    if getattr(processor, "vision_feature_select_strategy", "") is None:
        processor.vision_feature_select_strategy = config.vision_feature_select_strategy
    if getattr(
        processor, "num_additional_image_tokens", 1
    ) == 0 and config.vision_config.model_type.startswith("clip"):
        processor.num_additional_image_tokens = 1


@dataclass(frozen=True)
class Family:
    """How one kind of model is loaded and prompted.

    model_class: a transformers class name (e.g. "Qwen2_5_VLForConditionalGeneration", or
    "AutoModelForImageTextToText"). call_style: "chat" renders the conversation with the
    processor's chat template, images inside the messages; "mistral_inst" renders LLaVA-Med's
    `[INST] ... [/INST]` string and passes the images to the processor beside it.
    dtype: the paper's dtype on GPU ("auto": the checkpoint's own). max_images: the most images one
    prompt may hold (None: no limit); a prompt with more is an error record, never truncated.
    prepare_processor: a hook called with (processor, model config) after loading. model_types:
    the config `model_type`s the class loads (a checkpoint of another is refused at load, before
    its weights are read); empty: whatever `model_class` (an Auto class) maps.
    """

    name: str
    model_class: str
    dtype: str
    call_style: str = "chat"
    max_images: int | None = None
    prepare_processor: Callable[[Any, Any], None] | None = None
    model_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.call_style not in CALL_STYLES:
            raise ValueError(
                f"family {self.name}: call_style {self.call_style!r} is not one of {CALL_STYLES}"
            )
        if self.dtype not in DTYPES:
            raise ValueError(f"family {self.name}: dtype {self.dtype!r} is not one of {DTYPES}")


QWEN2_5_VL = Family(
    "qwen2_5_vl", "Qwen2_5_VLForConditionalGeneration", "bfloat16", model_types=("qwen2_5_vl",)
)
QWEN2_VL = Family("qwen2_vl", "Qwen2VLForConditionalGeneration", "bfloat16", model_types=("qwen2_vl",))
GEMMA3 = Family("gemma3", "Gemma3ForConditionalGeneration", "bfloat16", model_types=("gemma3",))
MLLAMA = Family("mllama", "MllamaForConditionalGeneration", "bfloat16", model_types=("mllama",))
LLAVA = Family(
    "llava",
    "LlavaForConditionalGeneration",
    "float16",
    prepare_processor=fill_llava_processor,
    model_types=("llava",),
)
LLAVA_NEXT = Family("llava_next", "LlavaNextForConditionalGeneration", "float16", model_types=("llava_next",))
LLAVA_ONEVISION = Family(
    "llava_onevision", "LlavaOnevisionForConditionalGeneration", "float16", model_types=("llava_onevision",)
)
LLAVA_MED = Family(
    "llavamed",
    "LlavaForConditionalGeneration",
    "float16",
    call_style="mistral_inst",
    prepare_processor=fill_llava_processor,
    model_types=("llava",),
)
# Processor fixes the generic family applies by the checkpoint's model_type.
PROCESSOR_FIXES: dict[str, Callable[[Any, Any], None]] = {"llava": fill_llava_processor}


def fix_processor(processor: Any, config: Any) -> None:
    """The generic family's hook: the known fix for the checkpoint's model_type, if any."""
    fix = PROCESSOR_FIXES.get(getattr(config, "model_type", ""))
    if fix is not None:
        fix(processor, config)


# Any image-text-to-text checkpoint (inference_hf.py): its own class, dtype and chat template.
IMAGE_TEXT_TO_TEXT = Family(
    "image_text_to_text", "AutoModelForImageTextToText", "auto", prepare_processor=fix_processor
)
FAMILIES: dict[str, Family] = {
    f.name: f for f in (QWEN2_5_VL, QWEN2_VL, GEMMA3, MLLAMA, LLAVA, LLAVA_NEXT, LLAVA_ONEVISION, LLAVA_MED)
}


@dataclass(frozen=True)
class LocalModel:
    """One checkpoint: its result id, where the hub keeps it (None: a local folder only), and its family."""

    result_id: str
    hub_id: str | None
    family: Family


def _catalog(*models: LocalModel, keys: Sequence[str] | None = None) -> dict[str, LocalModel]:
    return dict(zip(keys or [m.result_id for m in models], models, strict=True))


QWEN = _catalog(
    *(
        LocalModel(f"qwen{size}", f"Qwen/Qwen2.5-VL-{size}-Instruct", QWEN2_5_VL)
        for size in ("3B", "7B", "32B", "72B")
    ),
    keys=("3B", "7B", "32B", "72B"),
)
LLAMA32_VISION = LocalModel("llama32_vision_90b", "meta-llama/Llama-3.2-90B-Vision-Instruct", MLLAMA)
MEDVLM_R1 = LocalModel("MedVLM-R1", "JZPeterPan/MedVLM-R1", QWEN2_VL)
MEDGEMMA = LocalModel("medgemma_4b", "google/medgemma-4b-it", GEMMA3)
LLAVA_MODELS = _catalog(
    LocalModel("llava_7b", "llava-hf/llava-1.5-7b-hf", LLAVA),
    LocalModel("llava_13b", "llava-hf/llava-1.5-13b-hf", LLAVA),
    LocalModel("llavanext_7b", "llava-hf/llava-v1.6-mistral-7b-hf", LLAVA_NEXT),
    LocalModel("llavaonevision_7b", "llava-hf/llava-onevision-qwen2-7b-ov-hf", LLAVA_ONEVISION),
    LocalModel("llavaonevision_0.5b", "llava-hf/llava-onevision-qwen2-0.5b-ov-hf", LLAVA_ONEVISION),
)
# microsoft/llava-med-v1.5-mistral-7b is stored in the LLaVA repository's own format; this is its
# conversion to transformers' LLaVA classes (README: how to make your own and pass --model-path).
LLAVAMED = LocalModel("llavamed", "chaoyinshe/llava-med-v1.5-mistral-7b-hf", LLAVA_MED)


def pick(catalog: Mapping[str, LocalModel], names: Sequence[str]) -> list[LocalModel]:
    """The models named (catalog keys, or "all"), in the catalog's order, each once."""
    if "all" in names:
        return list(dict.fromkeys(catalog.values()))
    return list(dict.fromkeys(catalog[name] for name in names))


def any_checkpoint(
    hub_id: str | None, model_path: str | None, revision: str | None, name: str | None
) -> LocalModel:
    """The image-text-to-text checkpoint inference_hf.py runs: from the hub (`hub_id`, at
    `revision`) or a folder, under the result id `name` (default: the last part of the hub id)."""
    if hub_id is None and model_path is None:
        raise UserError("name the checkpoint: --model OWNER/NAME (hub) or --model-path DIR (local folder)")
    if revision is not None and hub_id is None:
        raise UserError("--revision needs --model (a hub id); a --model-path folder has no revisions")
    if name is not None:
        model_id = check_result_id(name)
    elif hub_id is not None:
        model_id = result_id(hub_id)
    else:
        raise UserError("--model-path needs --name (the result id its files are named after)")
    return LocalModel(model_id, hub_id, IMAGE_TEXT_TO_TEXT)


@dataclass(frozen=True)
class ModelChoice:
    """The --models flag of a family script: the names it takes (the keys of `models`, and "all"
    when `offer_all`), the default choice and its help; `notes`: a line to print when a name is
    chosen (e.g. a name the authors' README gave another script's model)."""

    models: Mapping[str, LocalModel]
    default: tuple[str, ...]
    help: str
    offer_all: bool = True
    notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def choices(self) -> list[str]:
        return [*self.models, "all"] if self.offer_all else list(self.models)

    def pick(self, names: Sequence[str]) -> tuple[list[LocalModel], list[str]]:
        """The models chosen, and the notes their names call for."""
        notes = [self.notes[name] for name in dict.fromkeys(names) if name in self.notes]
        return pick(self.models, names), notes


@dataclass(frozen=True)
class LocalSettings:
    """How the backend loads and runs a model (the local-model flags; how it generates is the
    run's GenerationConfig).

    dtype "auto": the family's paper dtype on CUDA, float32 on CPU (half precision on CPU is
    slow and, for float16, poorly supported). attn_implementation "auto": flash-attention 2 when
    installed (CUDA, half precision), else the library's default. revision: the hub revision
    (branch, tag or commit). trust_remote_code: run code shipped with the checkpoint (off unless
    asked for).
    """

    model_path: str | None = None
    dtype: str = "auto"
    batch_size: int = 1
    cache_dir: str | None = None
    attn_implementation: str = "auto"
    revision: str | None = None
    trust_remote_code: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LocalSettings:
        return cls(
            model_path=args.model_path,
            dtype=args.dtype,
            batch_size=args.batch_size,
            cache_dir=getattr(args, "hf_cache_dir", None),
            attn_implementation=getattr(args, "attn_implementation", "auto"),
            revision=getattr(args, "revision", None),
            trust_remote_code=getattr(args, "trust_remote_code", False),
        )


_GPU_LIST = re.compile(r"^\s*\d+\s*(,\s*\d+\s*)*$")


def set_visible_gpus(devices: str | None) -> None:
    """CUDA_VISIBLE_DEVICES for this process; must run before torch first touches CUDA."""
    if devices is None:
        return
    if not _GPU_LIST.match(devices):
        raise UserError(f"--gpu-devices {devices!r}: expected GPU numbers separated by commas, e.g. 0,1")
    os.environ["CUDA_VISIBLE_DEVICES"] = devices.replace(" ", "")


def backend_factory(model: LocalModel, settings: LocalSettings) -> Callable[[GenerationConfig], Backend]:
    """A callable that builds the model's backend (importing torch and transformers only then)."""
    return lambda generation: build("transformers", model, settings, generation)


def _one_model(flag: str, what: str, models: Sequence[LocalModel]) -> None:
    if len(models) != 1:
        ids = ", ".join(m.result_id for m in models)
        raise UserError(f"{flag} {what}, but {len(models)} are selected ({ids}); select one")


def local_specs(args: argparse.Namespace, models: Sequence[LocalModel]) -> list[ModelSpec]:
    """What a script runs of each selected model (its result id, backend and paper profile), after
    checking the local-model flags.

    `--model-path` names one model's folder and `--name` one result id, so each needs exactly
    one selected model; a `--name`d result keeps the paper profile of the model it runs.
    """
    if args.model_path is not None:
        _one_model("--model-path", "loads one model", models)
        if not Path(args.model_path).is_dir():
            raise UserError(f"--model-path {args.model_path}: no such folder")
    name = getattr(args, "name", None)
    if name is not None:
        _one_model("--name", "names one result", models)
        check_result_id(name)
    set_visible_gpus(args.gpu_devices)
    settings = LocalSettings.from_args(args)
    generation = {"max_new_tokens": args.max_new_tokens}
    return [
        ModelSpec(name or m.result_id, backend_factory(m, settings), m.result_id, generation) for m in models
    ]


__all__ = [
    "ATTN_IMPLEMENTATIONS",
    "FAMILIES",
    "IMAGE_TEXT_TO_TEXT",
    "LLAMA32_VISION",
    "LLAVAMED",
    "LLAVA_MODELS",
    "MEDGEMMA",
    "MEDVLM_R1",
    "QWEN",
    "Family",
    "any_checkpoint",
    "LocalModel",
    "LocalSettings",
    "ModelChoice",
    "backend_factory",
    "fill_llava_processor",
    "local_specs",
    "pick",
    "set_visible_gpus",
]
