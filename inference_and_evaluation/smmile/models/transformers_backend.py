"""One transformers backend for every open-weight model family of the paper.

A `Family` (smmile.models.catalog) declares what differs between families; everything else is
shared: loading (`from_pretrained` from the hub id or `--model-path`), rendering the neutral
Prompt into the processor's chat format, left-padded batches sorted by length, greedy decoding of
the new tokens only, and turning failures into error responses.

Rendering: each message becomes `{"role", "content": [...]}` with `{"type": "image", "image": PIL}`
and `{"type": "text", "text": ...}` items in the order of the Prompt's parts (assistant and system
turns are text items), rendered by the checkpoint's own chat template. LLaVA-Med ("mistral_inst")
is rendered by smmile.prompts.render_mistral_instruct and its images passed beside the string.
Images are never dropped: a prompt with more images than the family takes is an error response,
and a batch whose processor output holds fewer images than its prompts is an error too.

Decoding is greedy (`do_sample=False`, one beam); the checkpoint's other generation settings (e.g.
a repetition penalty) stay as the model's authors set them, as in the paper's scripts.
Placement: `device_map="auto"` over the visible GPUs when CUDA is available, else the CPU;
flash-attention 2 when the `flash_attn` package is importable (on CUDA, half precision), else the
library's default attention (sdpa).
"""

from __future__ import annotations

import gc
import importlib.util
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from smmile.errors import UserError
from smmile.fingerprint import config_fingerprint, folder_fingerprint
from smmile.models.base import Backend, GenerationConfig, LoadedModel, batched
from smmile.models.catalog import LocalModel, LocalSettings
from smmile.prompts import render_mistral_instruct
from smmile.types import Image, Prompt, Response, Text

TORCH_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
MAX_ERROR_CHARS = 500


def resolve_dtype(setting: str, family_dtype: str, cuda: bool) -> torch.dtype | str:
    """`--dtype`: "auto" is the family's paper dtype on CUDA and float32 on CPU; a family whose
    dtype is "auto" (any checkpoint) keeps the checkpoint's own dtype on CUDA ("auto")."""
    if setting == "auto":
        if not cuda:
            return torch.float32
        return "auto" if family_dtype == "auto" else TORCH_DTYPES[family_dtype]
    return TORCH_DTYPES[setting]


def flash_attention_available() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def prompt_length(prompt: Prompt) -> tuple[int, int]:
    """The sort key of a prompt: number of images, then characters of text."""
    text = sum(len(p.text) for m in prompt.messages for p in m.parts if isinstance(p, Text))
    return len(prompt.images), text


def count_images(inputs: Any) -> int:
    """How many images a processor output holds (each family lays them out differently)."""
    if "image_grid_thw" in inputs:  # Qwen2-VL, Qwen2.5-VL: one row per image
        return int(inputs["image_grid_thw"].shape[0])
    if "aspect_ratio_ids" in inputs:  # Mllama: (batch, images) padded with id 0
        return int((inputs["aspect_ratio_ids"] > 0).sum())
    if "image_sizes" in inputs:  # LLaVA-NeXT, LLaVA-OneVision: one row per image
        return int(inputs["image_sizes"].shape[0])
    if "pixel_values" in inputs:  # LLaVA 1.5, Gemma 3: one image per row
        return int(inputs["pixel_values"].shape[0])
    return 0


def to_chat(prompt: Prompt) -> list[dict[str, Any]]:
    """The Prompt as processor chat messages, parts in order, images decoded to PIL."""
    messages = []
    for message in prompt.messages:
        content: list[dict[str, Any]] = []
        for part in message.parts:
            if isinstance(part, Image):
                content.append({"type": "image", "image": part.image.open()})
            else:
                content.append({"type": "text", "text": part.text})
        messages.append({"role": message.role, "content": content})
    return messages


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


class TransformersBackend(Backend):
    """A local model through transformers: `from_pretrained`, the processor, `generate`.

    `model` and `processor` may be passed in already loaded (benchmarks, tests); otherwise they
    are loaded from `settings.model_path` or the model's hub id.
    """

    def __init__(
        self,
        model: LocalModel,
        settings: LocalSettings | None = None,
        generation: GenerationConfig | None = None,
        *,
        loaded: tuple[Any, Any] | None = None,
    ):
        self.spec = model
        self.family = model.family
        self.settings = settings or LocalSettings()
        self.generation_config = generation or GenerationConfig()
        self.batch_size = max(1, self.settings.batch_size)
        self.cuda = torch.cuda.is_available()
        self.dtype = resolve_dtype(self.settings.dtype, self.family.dtype, self.cuda)
        self.source = self.settings.model_path or model.hub_id
        self.attn_implementation = "sdpa (default)"
        if loaded is None:
            self.model, self.processor = self._load()
        else:
            self.model, self.processor = loaded
        self._prepare_processor()
        self.dtype = self.model.dtype
        device_map = getattr(self.model, "hf_device_map", None)
        self.devices = (
            sorted({str(d) for d in device_map.values()}) if device_map else [str(self.model.device)]
        )
        self.model_class = type(self.model).__name__

    # --- loading ----------------------------------------------------------------------------------

    def _load(self) -> tuple[Any, Any]:
        """Config first (a checkpoint of another family is refused before its weights are read),
        then the processor (a chat family needs a chat template), then the weights."""
        import transformers

        from smmile.models.checkpoints import check_family, check_hub_model, check_processor, load_step

        model_cls = getattr(transformers, self.family.model_class, None)
        if model_cls is None:
            raise UserError(
                f"transformers {transformers.__version__} has no {self.family.model_class} "
                f"(needed by {self.spec.result_id}); install the pinned requirements.txt"
            )
        common: dict[str, Any] = {"trust_remote_code": self.settings.trust_remote_code}
        if self.settings.cache_dir:
            common["cache_dir"] = self.settings.cache_dir
        if self.settings.revision and not self.settings.model_path:
            common["revision"] = self.settings.revision
        from_hub = self.settings.model_path is None
        if from_hub:
            check_hub_model(self.source)
        with load_step(self.source, self.spec.result_id, from_hub):
            config = transformers.AutoConfig.from_pretrained(self.source, **common)
            check_family(self.source, config, self.family, model_cls)
            processor = transformers.AutoProcessor.from_pretrained(self.source, **common)
            check_processor(self.source, processor, self.family)
            kwargs = {**common, "dtype": self.dtype}
            if self.cuda:
                kwargs["device_map"] = "auto"
            model = self._from_pretrained(model_cls, kwargs)
        model.eval()
        return model, processor

    def _from_pretrained(self, model_cls: Any, kwargs: dict[str, Any]) -> Any:
        asked = self.settings.attn_implementation
        if asked != "auto":
            model = model_cls.from_pretrained(self.source, attn_implementation=asked, **kwargs)
            self.attn_implementation = asked
            return model
        half = self.dtype in (torch.float16, torch.bfloat16, "auto")
        if self.cuda and half and flash_attention_available():
            try:
                model = model_cls.from_pretrained(
                    self.source, attn_implementation="flash_attention_2", **kwargs
                )
                self.attn_implementation = "flash_attention_2"
                return model
            except (ValueError, ImportError) as exc:  # the architecture or the build does not support it
                self.attn_implementation = f"sdpa (default; flash_attention_2 refused: {_short(exc)})"
        return model_cls.from_pretrained(self.source, **kwargs)

    def _prepare_processor(self) -> None:
        tokenizer = self.processor.tokenizer
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if self.family.prepare_processor is not None:
            self.family.prepare_processor(self.processor, self.model.config)

    # --- rendering --------------------------------------------------------------------------------

    def check(self, prompt: Prompt) -> str | None:
        """Why this family cannot take `prompt`, or None."""
        limit = self.family.max_images
        if limit is not None and len(prompt.images) > limit:
            return (
                f"{self.spec.result_id} takes at most {limit} image(s) per prompt; this prompt has "
                f"{len(prompt.images)} (use fewer in-context examples, e.g. --num-icl)"
            )
        if self.family.call_style == "mistral_inst":
            roles = {m.role for m in prompt.messages} - {"user", "assistant"}
            if roles:
                return f"the Mistral instruct format has no {'/'.join(sorted(roles))} turn"
        return None

    def prepare(self, prompts: Sequence[Prompt]) -> Any:
        """The processor's output (a left-padded batch) for `prompts`, on the CPU."""
        if self.family.call_style == "mistral_inst":
            image_token = getattr(self.processor, "image_token", "<image>")
            texts = [render_mistral_instruct(p, image_token=image_token) for p in prompts]
            images = [ref.open() for p in prompts for ref in p.images]
            return self.processor(text=texts, images=images or None, padding=True, return_tensors="pt")
        return self.processor.apply_chat_template(
            [to_chat(p) for p in prompts],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True},
        )

    # --- generation -------------------------------------------------------------------------------

    def generate_batch(self, prompts: Sequence[Prompt]) -> list[Response]:
        """One response per prompt of a batch; a prompt the family cannot take, or a batch that
        fails (e.g. out of memory), is an error response."""
        responses: list[Response | None] = [None] * len(prompts)
        runnable: list[int] = []
        for i, prompt in enumerate(prompts):
            reason = self.check(prompt)
            if reason is None:
                runnable.append(i)
            else:
                responses[i] = Response.failure(reason)
        if runnable:
            try:
                produced = self._generate([prompts[i] for i in runnable])
            except Exception as exc:  # e.g. out of memory: recorded as data, a re-run retries them
                produced = [Response.failure(_short(exc)) for _ in runnable]
                if self.cuda:
                    torch.cuda.empty_cache()
            for i, response in zip(runnable, produced, strict=True):
                responses[i] = response
        return [r if r is not None else Response.failure("no response") for r in responses]

    def _generate(self, prompts: Sequence[Prompt]) -> list[Response]:
        start = time.perf_counter()
        inputs = self.prepare(prompts)
        expected = sum(len(p.images) for p in prompts)
        held = count_images(inputs)
        if held < expected:
            raise ValueError(f"the processor took {held} of the prompts' {expected} images")
        inputs = inputs.to(self.model.device, dtype=self.model.dtype)
        prompt_len = inputs["input_ids"].shape[1]
        tokenizer = self.processor.tokenizer
        options: dict[str, Any] = {
            "do_sample": False,
            "num_beams": 1,
            "max_new_tokens": self.generation_config.max_new_tokens,
            "pad_token_id": tokenizer.pad_token_id,
        }
        if self.generation_config.min_new_tokens:
            options["min_new_tokens"] = self.generation_config.min_new_tokens
        with torch.inference_mode():
            output = self.model.generate(**inputs, **options)
        new_tokens = output[:, prompt_len:].cpu()
        texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        elapsed = time.perf_counter() - start
        input_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        lengths = self._generated_lengths(new_tokens)
        return [
            Response(
                text=text,
                latency_s=elapsed,
                usage={
                    "input_tokens": int(n_in),
                    "output_tokens": int(n_out),
                    "images": len(prompt.images),
                    "batch_size": len(prompts),
                },
            )
            for prompt, text, n_in, n_out in zip(prompts, texts, input_tokens, lengths, strict=True)
        ]

    def _generated_lengths(self, new_tokens: torch.Tensor) -> list[int]:
        """New tokens up to and including the first end-of-sequence token, per row."""
        eos = self.model.generation_config.eos_token_id
        eos_ids = torch.tensor([eos] if isinstance(eos, int) else list(eos or []), dtype=new_tokens.dtype)
        lengths = []
        for row in new_tokens:
            hits = torch.isin(row, eos_ids).nonzero()
            lengths.append(int(hits[0, 0]) + 1 if len(hits) else int(row.shape[0]))
        return lengths

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Response]]:
        """Batches of `batch_size` prompts of similar length, longest first (a prompt that does not
        fit in memory shows at once); each (index, response) is yielded as its batch finishes.
        An exception in a batch (e.g. out of memory) becomes error responses for that batch only."""
        order = sorted(range(len(prompts)), key=lambda i: prompt_length(prompts[i]), reverse=True)
        return batched(prompts, self.generate_batch, self.batch_size, order)

    # --- the rest ---------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        import transformers

        return {
            "backend": "transformers",
            "model": self.spec.result_id,
            "hub_id": self.spec.hub_id,
            "revision": self.settings.revision,
            "model_path": self.settings.model_path,
            "family": self.family.name,
            "model_class": self.model_class,
            "dtype": str(self.dtype).removeprefix("torch."),
            "trust_remote_code": self.settings.trust_remote_code,
            "attn_implementation": self.attn_implementation,
            "devices": self.devices,
            "batch_size": self.batch_size,
            "max_new_tokens": self.generation_config.max_new_tokens,
            "decoding": "greedy",
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        }

    def loaded(self) -> LoadedModel:
        """The hub id and commit, or the local folder and a fingerprint of its files; the config's
        fingerprint either way."""
        config = self.model.config
        generation = getattr(self.model, "generation_config", None)
        fingerprint = config_fingerprint(config.to_dict(), generation.to_dict() if generation else None)
        if self.settings.model_path:
            path = Path(self.settings.model_path).resolve()
            return LoadedModel("local folder", str(path), folder_fingerprint(path), fingerprint)
        return LoadedModel(self.spec.hub_id, None, getattr(config, "_commit_hash", None), fingerprint)

    def generation(self) -> dict[str, Any]:
        out = {
            "decoding": "greedy",
            "max_new_tokens": self.generation_config.max_new_tokens,
            "dtype": str(self.dtype).removeprefix("torch."),
        }
        if self.generation_config.min_new_tokens:
            out["min_new_tokens"] = self.generation_config.min_new_tokens
        return out

    def close(self) -> None:
        self.model = None
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()
