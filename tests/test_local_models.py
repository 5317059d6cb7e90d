"""The transformers backend on tiny checkpoints of every family: rendered inputs, images, batching,
errors as data; and the families' declarations."""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest
import torch
from PIL import Image as PILImage
from tiny_checkpoints import MODEL_OF_FAMILY

from smmile.data import load_dataset_problems, resolve_source
from smmile.errors import UserError
from smmile.models.base import GenerationConfig
from smmile.models.catalog import (
    FAMILIES,
    LLAMA32_VISION,
    LLAVA_MODELS,
    LLAVAMED,
    MEDGEMMA,
    MEDVLM_R1,
    QWEN,
    LocalModel,
    LocalSettings,
    local_specs,
    pick,
    set_visible_gpus,
)
from smmile.models.transformers_backend import (
    TransformersBackend,
    count_images,
    prompt_length,
    resolve_dtype,
)
from smmile.prompts import build_prompt, get_profile, render_mistral_instruct
from smmile.types import Image, ImageRef, Message, Prompt, Text

# one model of each family
MODELS: list[LocalModel] = list(MODEL_OF_FAMILY.values())
IDS = [m.family.name for m in MODELS]


@pytest.fixture(scope="module")
def problems():
    return sorted(load_dataset_problems(resolve_source("demo")).problems, key=lambda p: p.problem_id)


@pytest.fixture(scope="module")
def backends(tiny_checkpoints):
    """One loaded backend per family (float32, 8 new tokens), loaded once for this module."""
    loaded = {}

    def get(model: LocalModel) -> TransformersBackend:
        if model.result_id not in loaded:
            settings = LocalSettings(model_path=str(tiny_checkpoints[model.family.name]), dtype="float32")
            generation = GenerationConfig(max_new_tokens=8)
            loaded[model.result_id] = TransformersBackend(model, settings, generation)
        return loaded[model.result_id]

    return get


def prompts_for(model: LocalModel, problems, mode: str = "ICL", fmt: str = "mcqa") -> list[Prompt]:
    profile = get_profile(model.result_id, "paper")
    return [build_prompt(p, mode, fmt, profile) for p in problems]


def image_runs(input_ids: torch.Tensor, token_id: int) -> int:
    """Runs of consecutive image placeholder tokens in one row: one run per image."""
    hits = (input_ids == token_id).int()
    return int(hits[0]) + int(((hits[1:] - hits[:-1]) == 1).sum())


def placeholder_id(backend: TransformersBackend) -> int:
    tokenizer = backend.processor.tokenizer
    return tokenizer.convert_tokens_to_ids(tokenizer.image_token)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_inputs_hold_the_images_the_profile_shows(model, backends, problems):
    """All examples' images and the query's (MedVLM-R1: the query's only), in the rendered input."""
    backend = backends(model)
    problem = max(problems, key=lambda p: len(p.examples))
    for mode in ("0-shot", "ICL"):
        (prompt,) = prompts_for(model, [problem], mode)
        expected = 1 if (mode == "0-shot" or model is MEDVLM_R1) else len(problem.examples) + 1
        assert len(prompt.images) == expected
        inputs = backend.prepare([prompt])
        assert count_images(inputs) == expected
        assert image_runs(inputs["input_ids"][0], placeholder_id(backend)) == expected


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_images_change_the_logits(model, backends, problems):
    backend = backends(model)
    (prompt,) = prompts_for(model, problems[:1], "ICL")
    inverted = swap_images(prompt, lambda img: PILImage.eval(img, lambda v: 255 - v))

    def last_logits(p: Prompt) -> torch.Tensor:
        inputs = backend.prepare([p]).to(dtype=torch.float32)
        with torch.no_grad():
            return backend.model(**inputs).logits[0, -1]

    same = last_logits(prompt)
    assert torch.equal(same, last_logits(prompt))
    assert (same - last_logits(inverted)).abs().max() > 1e-4


def swap_images(prompt: Prompt, change) -> Prompt:
    """The prompt with each image replaced by change(image)."""
    import io

    def swap(part):
        if not isinstance(part, Image):
            return part
        buf = io.BytesIO()
        change(part.image.open()).save(buf, format="PNG")
        return Image(ImageRef.from_bytes(buf.getvalue()))

    messages = tuple(Message(m.role, tuple(swap(p) for p in m.parts)) for m in prompt.messages)
    return dataclasses.replace(prompt, messages=messages)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_batch_of_four_matches_batch_of_one(model, backends, problems):
    """Left-padded batches give the same greedy tokens as one prompt at a time on these tiny models
    (float32, CPU). Where a padded row could legitimately differ (near-tied random logits), the
    property that matters is checked as well: every prompt answered once, under its own index, and
    the padded row's first-step logits close to the unpadded ones."""
    backend = backends(model)
    prompts = prompts_for(model, problems)
    backend.batch_size = 1
    single = list(backend.stream(prompts))
    backend.batch_size = 4
    batched = list(backend.stream(prompts))
    backend.batch_size = 1
    assert sorted(i for i, _ in batched) == list(range(len(prompts)))
    one, four = dict(single), dict(batched)
    assert all(r.status == "ok" for r in [*one.values(), *four.values()])
    assert [four[i].usage["batch_size"] for i in range(4)] != [1, 1, 1, 1]
    assert [four[i].text for i in range(len(prompts))] == [one[i].text for i in range(len(prompts))]

    group = [prompts[i] for i in range(4)]
    padded = backend.prepare(group)
    with torch.no_grad():
        batch_logits = backend.model(**padded).logits[:, -1]
        for row, prompt in enumerate(group):
            alone = backend.model(**backend.prepare([prompt])).logits[0, -1]
            assert torch.allclose(batch_logits[row], alone, atol=1e-4)


def test_stream_sorts_by_length_and_yields_each_batch_as_it_finishes(backends, problems):
    backend = backends(QWEN["7B"])
    prompts = prompts_for(QWEN["7B"], problems, "ICL", "open")
    backend.batch_size = 3
    seen: list[list[int]] = []
    real = backend.generate_batch

    def spy(batch):
        seen.append([prompts.index(p) for p in batch])
        return real(batch)

    backend.generate_batch = spy
    try:
        stream = backend.stream(prompts)
        first = [next(stream) for _ in range(3)]
        assert len(seen) == 1  # the first batch is yielded before the second is generated
        rest = list(stream)
    finally:
        del backend.generate_batch
        backend.batch_size = 1
    keys = [prompt_length(prompts[i]) for batch in seen for i in batch]
    assert keys == sorted(keys, reverse=True)
    assert [i for i, _ in first + rest] == [i for batch in seen for i in batch]


def test_an_exception_fails_its_batch_only(backends, problems):
    backend = backends(MEDGEMMA)
    prompts = prompts_for(MEDGEMMA, problems, "0-shot", "open")
    victim = prompts[5]
    real = backend._generate

    def failing(batch):
        if victim in batch:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(batch)

    backend._generate = failing
    backend.batch_size = 4
    try:
        results = dict(backend.stream(prompts))
    finally:
        del backend._generate
        backend.batch_size = 1
    failed = {i for i, r in results.items() if r.status == "error"}
    assert 5 in failed and len(failed) == 4
    assert results[5].error == "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert all(results[i].text for i in set(results) - failed)


def test_too_many_images_is_an_error_response_never_a_truncation(tiny_checkpoints, backends, problems):
    """A family with an image limit answers prompts within it and refuses the others by name."""
    loaded = backends(LLAMA32_VISION)
    limited = LocalModel(
        "llama32_vision_90b", LLAMA32_VISION.hub_id, dataclasses.replace(LLAMA32_VISION.family, max_images=2)
    )
    backend = TransformersBackend(
        limited, loaded.settings, loaded.generation_config, loaded=(loaded.model, loaded.processor)
    )
    prompts = prompts_for(LLAMA32_VISION, problems, "ICL", "open")
    zero_shot = prompts_for(LLAMA32_VISION, problems[:1], "0-shot", "open")[0]
    responses = backend.generate([prompts[0], zero_shot])
    assert responses[0].status == "error" and responses[0].text is None
    n = len(prompts[0].images)
    assert responses[0].error == (
        f"llama32_vision_90b takes at most 2 image(s) per prompt; this prompt has {n} "
        "(use fewer in-context examples, e.g. --num-icl)"
    )
    assert responses[1].status == "ok" and responses[1].usage["images"] == 1


def test_a_processor_that_drops_images_makes_an_error(backends, problems):
    backend = backends(QWEN["7B"])
    prompt = prompts_for(QWEN["7B"], problems[:1])[0]
    real = backend.prepare

    def dropping(batch):
        inputs = real(batch)
        inputs["image_grid_thw"] = inputs["image_grid_thw"][:1]
        return inputs

    backend.prepare = dropping
    try:
        ((_, response),) = list(backend.stream([prompt]))
    finally:
        del backend.prepare
    assert response.status == "error"
    assert response.error == f"ValueError: the processor took 1 of the prompts' {len(prompt.images)} images"


def test_only_new_tokens_are_decoded(backends, problems):
    backend = backends(LLAVA_MODELS["llava_7b"])
    prompt = prompts_for(LLAVA_MODELS["llava_7b"], problems[:1], "0-shot", "open")[0]
    inputs = backend.prepare([prompt])
    with torch.no_grad():
        output = backend.model.generate(**inputs, do_sample=False, max_new_tokens=8)
    (response,) = backend.generate([prompt])
    tokenizer = backend.processor.tokenizer
    new = output[0, inputs["input_ids"].shape[1] :]
    assert response.text == tokenizer.decode(new, skip_special_tokens=True)
    assert response.text != tokenizer.decode(output[0], skip_special_tokens=True)
    assert response.usage["output_tokens"] == len(new) == 8
    assert response.usage["input_tokens"] == inputs["input_ids"].shape[1]


def test_llavamed_is_rendered_in_mistral_instruct_turns(backends, problems):
    """The conversion's processor has no patch size or chat template: the family's hook fills the
    former from the config, and the turns come from render_mistral_instruct."""
    backend = backends(LLAVAMED)
    assert backend.processor.patch_size == 14 and backend.processor.num_additional_image_tokens == 1
    assert backend.processor.chat_template is None
    problem = problems[0]
    (prompt,) = prompts_for(LLAVAMED, [problem], "ICL", "open")
    text = render_mistral_instruct(prompt)
    assert text.startswith(
        f"[INST] <image>\n{problem.examples[0].question} [/INST] {problem.examples[0].answer} </s>"
    )
    tokenizer = backend.processor.tokenizer
    ids = backend.prepare([prompt])["input_ids"][0]
    decoded = tokenizer.decode(ids)
    per_image = 4  # a 28 px crop of 14 px patches, CLS dropped by the "default" strategy
    expanded = text.replace("<image>", "<image>" * per_image)
    assert decoded == "<s>" + expanded


def test_mllama_inputs_follow_its_chat_template(backends, problems):
    backend = backends(LLAMA32_VISION)
    problem = problems[0]
    (prompt,) = prompts_for(LLAMA32_VISION, [problem], "ICL", "open")
    decoded = backend.processor.tokenizer.decode(backend.prepare([prompt])["input_ids"][0])
    first = problem.examples[0]
    assert decoded.startswith(
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
        f"<|image|>{first.question}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{first.answer}<|eot_id|>"
    )
    assert decoded.endswith(
        f"{problem.query.question}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_medgemma_gets_its_system_prompt_and_text_before_image(backends, problems):
    backend = backends(MEDGEMMA)
    (prompt,) = prompts_for(MEDGEMMA, problems[:1], "0-shot", "open")
    decoded = backend.processor.tokenizer.decode(backend.prepare([prompt])["input_ids"][0])
    system = get_profile("medgemma_4b").system_prompt
    assert decoded.startswith(
        f"<bos><start_of_turn>user\n{system}\n\n{problems[0].query.question}\n\n<start_of_image>"
    )


def test_text_only_prompts_work_and_describe_holds_no_secrets(backends, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_sentinel_secret")
    backend = backends(QWEN["7B"])
    prompt = Prompt("p", (Message("user", (Text("Is this normal?"),)),), "qwen7B", "open")
    (response,) = backend.generate([prompt])
    assert response.status == "ok" and response.usage["images"] == 0
    described = backend.describe()
    assert described["dtype"] == "float32" and described["devices"] == ["cpu"]
    assert "hf_sentinel_secret" not in json.dumps(described)


# --- declarations, flags and settings ---------------------------------------------------------------


def test_every_family_has_a_tiny_checkpoint_and_every_model_a_paper_profile(tiny_checkpoints):
    assert set(FAMILIES) == set(tiny_checkpoints)
    models = [*QWEN.values(), LLAMA32_VISION, MEDVLM_R1, MEDGEMMA, *LLAVA_MODELS.values(), LLAVAMED]
    from smmile.prompts import PAPER_PROFILES

    assert {m.result_id for m in models} <= set(PAPER_PROFILES)
    assert {m.family.name for m in models} == set(FAMILIES)
    assert all((m.family.call_style == "mistral_inst") == (m is LLAVAMED) for m in models)


def test_dtype_auto_is_the_paper_dtype_on_cuda_and_float32_on_cpu():
    assert resolve_dtype("auto", "bfloat16", cuda=True) is torch.bfloat16
    assert resolve_dtype("auto", "float16", cuda=True) is torch.float16
    assert resolve_dtype("auto", "bfloat16", cuda=False) is torch.float32
    assert resolve_dtype("float16", "bfloat16", cuda=False) is torch.float16
    assert {m.family.dtype for m in LLAVA_MODELS.values()} == {"float16"}
    assert {m.family.dtype for m in (*QWEN.values(), LLAMA32_VISION, MEDVLM_R1, MEDGEMMA)} == {"bfloat16"}


def test_pick_expands_all_in_catalog_order_once():
    assert [m.result_id for m in pick(QWEN, ["72B", "all"])] == ["qwen3B", "qwen7B", "qwen32B", "qwen72B"]
    assert [m.result_id for m in pick(QWEN, ["7B", "3B", "7B"])] == ["qwen7B", "qwen3B"]


def test_gpu_devices_set_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    set_visible_gpus("2, 3")
    import os

    assert os.environ["CUDA_VISIBLE_DEVICES"] == "2,3"
    with pytest.raises(UserError, match="expected GPU numbers"):
        set_visible_gpus("cuda:0")


def test_local_specs_keep_the_result_id_for_a_model_path(tiny_checkpoints, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    args = argparse.Namespace(
        model_path=str(tiny_checkpoints["qwen2_5_vl"]),
        gpu_devices=None,
        dtype="float32",
        batch_size=2,
        max_new_tokens=4,
        hf_cache_dir=None,
    )
    (spec,) = local_specs(args, [QWEN["72B"]])
    assert spec.model_id == "qwen72B" and spec.profile == "qwen72B"
    backend = spec.make_backend(GenerationConfig(max_new_tokens=4))
    try:
        assert backend.describe()["model"] == "qwen72B" and backend.batch_size == 2
    finally:
        backend.close()


def test_an_unloadable_source_is_a_one_line_user_error(tmp_path):
    settings = LocalSettings(model_path=str(tmp_path), dtype="float32")
    with pytest.raises(UserError) as info:
        TransformersBackend(MEDGEMMA, settings)
    message = str(info.value)
    assert message.startswith(f"{tmp_path}: cannot load medgemma_4b (") and "\n" not in message


def test_count_images_reads_each_layout():
    assert count_images({"image_grid_thw": torch.zeros(3, 3)}) == 3
    assert (
        count_images({"aspect_ratio_ids": torch.tensor([[1, 2], [3, 0]]), "pixel_values": torch.zeros(2)})
        == 3
    )
    assert count_images({"image_sizes": torch.zeros(2, 2), "pixel_values": torch.zeros(2, 5, 3, 4, 4)}) == 2
    assert count_images({"pixel_values": torch.zeros(4, 3, 8, 8)}) == 4
    assert count_images({"input_ids": torch.zeros(1, 3)}) == 0
