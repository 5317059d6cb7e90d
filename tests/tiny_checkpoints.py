"""Tiny random-weight checkpoints of every local model family, built offline.

Each checkpoint is a real `save_pretrained` folder (config, safetensors weights, tokenizer, processor
and chat template) that loads through the same `from_pretrained` path as the released models, but
is under a megabyte: text hidden size 64 with 2 layers, a 1-2 layer vision tower of width 32, and a
byte-level BPE tokenizer of a few hundred tokens trained here on a small local corpus. Nothing is
downloaded. The chat templates are written here in the shape of each family's released template
(images as content items, the family's turn markers); they are fixtures, not copies.

    build_checkpoint("qwen2_5_vl", folder)   # one family
    build_all(root)                          # every family, {family: folder}

Weights that a family initialises at zero (Gemma 3's input projection, Mllama's tanh gates) are
randomised, so images change the logits on every family.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch

from smmile.models import catalog

SEED = 1234
TEXT = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
}
VOCAB_SIZE = 400

# the released model each family's tiny checkpoint stands in for
MODEL_OF_FAMILY: dict[str, catalog.LocalModel] = {
    "qwen2_5_vl": catalog.QWEN["7B"],
    "qwen2_vl": catalog.MEDVLM_R1,
    "gemma3": catalog.MEDGEMMA,
    "mllama": catalog.LLAMA32_VISION,
    "llava": catalog.LLAVA_MODELS["llava_7b"],
    "llava_next": catalog.LLAVA_MODELS["llavanext_7b"],
    "llava_onevision": catalog.LLAVA_MODELS["llavaonevision_0.5b"],
    "llavamed": catalog.LLAVAMED,
}
FAMILIES = tuple(MODEL_OF_FAMILY)

# --- tokenizer ------------------------------------------------------------------------------------

_CORPUS = """\
Is there a fracture in this bone? Yes. No. What is the most likely diagnosis? Normal.
What abnormality is shown in this image? Pneumonia. Melanoma. Nodule. Atrial fibrillation.
Please select the best answer from the following options: Your task: Think through the question,
enclose your reasoning process in <think>...</think> tags. Then provide the correct single-letter
choice (A, B, C, D, E, F, ...) inside <answer>...</answer> tags. Example of the expected format:
Example 1: Question: Answer: Now answer this question: The correct answer is X.
You are an expert medical professional with extensive knowledge in medical imaging, diagnosis.
system user assistant model USER: ASSISTANT: [INST] [/INST] 0123456789 abcdefghijklmnopqrstuvwxyz
ABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?()[]{}<>/\\'"-_=+*&^%$#@~` |
"""


def _corpus() -> list[str]:
    """The demo dataset's text (when present) and the protocol's template words."""
    lines = _CORPUS.splitlines()
    demo = Path(__file__).resolve().parents[1] / "inference_and_evaluation/smmile/data/demo/data.jsonl"
    if demo.exists():
        for line in demo.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            lines += [row["question"], row["answer"]]
    return lines


def build_tokenizer(
    specials: list[str],
    named: dict[str, str],
    bos: str | None,
    eos: str,
    pad: str,
    unk: str | None = None,
    add_bos: bool = False,
):
    """A byte-level BPE tokenizer trained on the local corpus, wrapped as the generic fast tokenizer.

    `specials` are added as special tokens (never split); `named` are the named extras a processor
    looks up (e.g. image_token); bos/eos/pad/unk are among `specials`.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=unk))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    if add_bos and bos is not None:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A",
            pair=f"{bos} $A {bos} $B",
            special_tokens=[(bos, tok.token_to_id(bos))],
        )
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    kwargs = {"bos_token": bos, "eos_token": eos, "pad_token": pad, "unk_token": unk}
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        **{k: v for k, v in kwargs.items() if v is not None},
        extra_special_tokens=named,
        padding_side="left",
    )


def _ids(tokenizer, *tokens: str) -> list[int]:
    return [tokenizer.convert_tokens_to_ids(t) for t in tokens]


# --- chat templates (the shape of each family's released template) -----------------------------------

QWEN_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

GEMMA3_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% if messages[0]['content'] is string %}{% set prefix = messages[0]['content'] + '\n\n' %}"
    "{% else %}{% set prefix = messages[0]['content'][0]['text'] + '\n\n' %}{% endif %}"
    "{% set loop_messages = messages[1:] %}"
    "{% else %}{% set prefix = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ prefix if loop.first else '' }}"
    "{% if message['content'] is string %}{{ message['content'] | trim }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<start_of_image>"
    "{% elif item['type'] == 'text' %}{{ item['text'] | trim }}{% endif %}"
    "{% endfor %}{% endif %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

MLLAMA_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n"
    "{% if message['content'] is string %}{{ message['content'] | trim }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<|image|>"
    "{% elif item['type'] == 'text' %}{{ item['text'] | trim }}{% endif %}"
    "{% endfor %}{% endif %}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)

LLAVA_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'image') %}<image>\n{% endfor %}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ item['text'] + ' ' }}{% endfor %}{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)

MISTRAL_LLAVA_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'][0]['text'] + '\n\n' }}"
    "{% elif message['role'] == 'user' %}[INST] "
    "{% for item in message['content'] | selectattr('type', 'equalto', 'image') %}<image>\n{% endfor %}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ item['text'] }}{% endfor %} [/INST]"
    "{% else %}{% for item in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ ' ' + item['text'] }}{% endfor %}</s>{% endif %}{% endfor %}"
)

ONEVISION_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }} "
    "{% for item in message['content'] | selectattr('type', 'equalto', 'image') %}<image>{% endfor %}"
    "{% for item in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ '\n' + item['text'] }}{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


# --- families -------------------------------------------------------------------------------------


def _vision_small() -> dict:
    return {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_hidden_layers": 1}


QWEN_SPECIALS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]


def qwen_tokenizer():
    """The Qwen2-VL and Qwen2.5-VL families' tokenizer: ChatML turns, vision and image/video tokens."""
    return build_tokenizer(
        QWEN_SPECIALS,
        {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"},
        bos=None,
        eos="<|im_end|>",
        pad="<|endoftext|>",
    )


def _qwen(folder: Path, v25: bool) -> None:
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    tok = qwen_tokenizer()
    pad, eos, vs, ve, img, vid = _ids(
        tok,
        "<|endoftext|>",
        "<|im_end|>",
        "<|vision_start|>",
        "<|vision_end|>",
        "<|image_pad|>",
        "<|video_pad|>",
    )
    text = {
        **TEXT,
        "vocab_size": len(tok),
        "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 10000.0},
        "bos_token_id": pad,
        "eos_token_id": eos,
        "pad_token_id": pad,
    }
    common = {
        "image_token_id": img,
        "video_token_id": vid,
        "vision_start_token_id": vs,
        "vision_end_token_id": ve,
    }
    if v25:
        vision = {
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": TEXT["hidden_size"],
            "window_size": 56,
            "fullatt_block_indexes": [1],
        }
        config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **common)
        model_cls, proc_cls = Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor
    else:
        vision = {
            "depth": 1,
            "embed_dim": 32,
            "hidden_size": TEXT["hidden_size"],
            "num_heads": 2,
            "mlp_ratio": 2,
        }
        config = Qwen2VLConfig(text_config=text, vision_config=vision, **common)
        model_cls, proc_cls = Qwen2VLForConditionalGeneration, Qwen2VLProcessor
    # 28 px per merged token: images are resized to at most 3x3 = 9 tokens (a 40x32 image: 6)
    pixels = {"min_pixels": 28 * 28, "max_pixels": 3 * 3 * 28 * 28}
    image_processor = Qwen2VLImageProcessor(**pixels)
    video_processor = Qwen2VLVideoProcessor(**pixels)
    processor = proc_cls(
        image_processor=image_processor,
        tokenizer=tok,
        video_processor=video_processor,
        chat_template=QWEN_TEMPLATE,
    )
    _save(folder, model_cls(config), processor)


def _gemma3(folder: Path) -> None:
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3ImageProcessor,
        Gemma3Processor,
    )

    specials = [
        "<pad>",
        "<eos>",
        "<bos>",
        "<unk>",
        "<start_of_turn>",
        "<end_of_turn>",
        "<start_of_image>",
        "<end_of_image>",
        "<image_soft_token>",
    ]
    tok = build_tokenizer(
        specials,
        {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>"},
        bos="<bos>",
        eos="<eos>",
        pad="<pad>",
        unk="<unk>",
    )
    pad, eos, bos, eot, boi, eoi, img = _ids(
        tok,
        "<pad>",
        "<eos>",
        "<bos>",
        "<end_of_turn>",
        "<start_of_image>",
        "<end_of_image>",
        "<image_soft_token>",
    )
    text = {
        **TEXT,
        "vocab_size": len(tok),
        "head_dim": 16,
        "sliding_window": 64,
        "bos_token_id": bos,
        "eos_token_id": [eos, eot],
        "pad_token_id": pad,
    }
    vision = {**_vision_small(), "image_size": 56, "patch_size": 14}
    config = Gemma3Config(
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=4,
        boi_token_index=boi,
        eoi_token_index=eoi,
        image_token_index=img,
    )
    config.eos_token_id = [eos, eot]
    image_processor = Gemma3ImageProcessor(size={"height": 56, "width": 56})
    processor = Gemma3Processor(
        image_processor=image_processor, tokenizer=tok, chat_template=GEMMA3_TEMPLATE, image_seq_length=4
    )
    model = Gemma3ForConditionalGeneration(config)
    with torch.no_grad():  # starts at zero: images would not reach the text model
        proj = model.model.multi_modal_projector.mm_input_projection_weight
        proj.normal_(0.0, 0.2)
    _save(folder, model, processor)


def _mllama(folder: Path) -> None:
    from transformers import (
        MllamaConfig,
        MllamaForConditionalGeneration,
        MllamaImageProcessor,
        MllamaProcessor,
    )

    specials = [
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|finetune_right_pad_id|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eot_id|>",
        "<|python_tag|>",
        "<|image|>",
    ]
    tok = build_tokenizer(
        specials,
        {"image_token": "<|image|>"},
        bos="<|begin_of_text|>",
        eos="<|eot_id|>",
        pad="<|finetune_right_pad_id|>",
    )
    bos, eot, eos, pad, img = _ids(
        tok, "<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>", "<|finetune_right_pad_id|>", "<|image|>"
    )
    text = {
        "vocab_size": len(tok),
        "hidden_size": TEXT["hidden_size"],
        "intermediate_size": TEXT["intermediate_size"],
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "cross_attention_layers": [1],
        "bos_token_id": bos,
        "eos_token_id": [eos, eot],
        "pad_token_id": pad,
    }
    tiles = 2
    vision = {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_global_layers": 1,
        "attention_heads": 2,
        "image_size": 28,
        "patch_size": 14,
        "max_num_tiles": tiles,
        "intermediate_layers_indices": [0],
        "vision_output_dim": 32 * 2,  # hidden x (intermediate layers + 1)
        "supported_aspect_ratios": [[1, 1], [1, 2], [2, 1]],
    }
    config = MllamaConfig(text_config=text, vision_config=vision, image_token_index=img)
    image_processor = MllamaImageProcessor(size={"height": 28, "width": 28}, max_image_tiles=tiles)
    processor = MllamaProcessor(image_processor=image_processor, tokenizer=tok, chat_template=MLLAMA_TEMPLATE)
    model = MllamaForConditionalGeneration(config)
    with torch.no_grad():  # the tanh gates start at zero: cross-attention would be switched off
        for name, param in model.named_parameters():
            if "gate" in name and param.numel() == 1:
                param.fill_(0.75)
    _save(folder, model, processor)


def _llava_tokenizer(chatml: bool = False):
    """LLaMA/Mistral-style specials (<s>, </s>, BOS added), or ChatML for OneVision's Qwen2."""
    if chatml:
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
        tok = build_tokenizer(
            specials,
            {"image_token": "<image>", "video_token": "<video>"},
            bos=None,
            eos="<|im_end|>",
            pad="<|endoftext|>",
        )
        return tok
    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    return build_tokenizer(
        specials, {"image_token": "<image>"}, bos="<s>", eos="</s>", pad="<pad>", unk="<unk>", add_bos=True
    )


def _clip_vision() -> dict:
    return {
        "model_type": "clip_vision_model",
        **_vision_small(),
        "num_hidden_layers": 2,
        "image_size": 28,
        "patch_size": 14,
        "projection_dim": 32,
    }


def _llava(folder: Path, mistral_inst: bool) -> None:
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    tok = _llava_tokenizer()
    bos, eos, pad, img = _ids(tok, "<s>", "</s>", "<pad>", "<image>")
    text = {"model_type": "mistral" if mistral_inst else "llama", **TEXT, "vocab_size": len(tok)}
    text.update(bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    config = LlavaConfig(
        text_config=text,
        vision_config=_clip_vision(),
        image_token_id=img,
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
    )
    image_processor = CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    if mistral_inst:  # as transformers' conversion script saves it: no patch size, no chat template
        processor = LlavaProcessor(image_processor=image_processor, tokenizer=tok)
    else:
        processor = LlavaProcessor(
            image_processor=image_processor,
            tokenizer=tok,
            patch_size=14,
            vision_feature_select_strategy="default",
            num_additional_image_tokens=1,
            chat_template=LLAVA_TEMPLATE,
        )
    _save(folder, LlavaForConditionalGeneration(config), processor)


def _llava_next(folder: Path) -> None:
    from transformers import (
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        LlavaNextImageProcessor,
        LlavaNextProcessor,
    )

    tok = _llava_tokenizer()
    bos, eos, pad, img = _ids(tok, "<s>", "</s>", "<pad>", "<image>")
    text = {"model_type": "mistral", **TEXT, "vocab_size": len(tok)}
    text.update(bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    pinpoints = [[28, 28], [28, 56], [56, 28]]
    config = LlavaNextConfig(
        text_config=text,
        vision_config=_clip_vision(),
        image_token_id=img,
        image_grid_pinpoints=pinpoints,
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
    )
    image_processor = LlavaNextImageProcessor(
        size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}, image_grid_pinpoints=pinpoints
    )
    processor = LlavaNextProcessor(
        image_processor=image_processor,
        tokenizer=tok,
        patch_size=14,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=MISTRAL_LLAVA_TEMPLATE,
    )
    _save(folder, LlavaNextForConditionalGeneration(config), processor)


def _llava_onevision(folder: Path) -> None:
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    tok = _llava_tokenizer(chatml=True)
    pad, eos, img, vid = _ids(tok, "<|endoftext|>", "<|im_end|>", "<image>", "<video>")
    text = {"model_type": "qwen2", **TEXT, "vocab_size": len(tok)}
    text.update(bos_token_id=pad, eos_token_id=eos, pad_token_id=pad)
    pinpoints = [[28, 28], [28, 56], [56, 28]]
    vision = {
        "model_type": "siglip_vision_model",
        **_vision_small(),
        "image_size": 28,
        "patch_size": 14,
        "vision_use_head": False,
    }
    config = LlavaOnevisionConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=img,
        video_token_id=vid,
        image_grid_pinpoints=pinpoints,
        vision_feature_layer=-1,
        vision_feature_select_strategy="full",
    )
    image_processor = LlavaOnevisionImageProcessor(
        size={"height": 28, "width": 28}, image_grid_pinpoints=pinpoints
    )
    video_processor = LlavaOnevisionVideoProcessor(size={"height": 28, "width": 28})
    processor = LlavaOnevisionProcessor(
        image_processor=image_processor,
        tokenizer=tok,
        video_processor=video_processor,
        num_image_tokens=4,
        vision_feature_select_strategy="full",
        chat_template=ONEVISION_TEMPLATE,
    )
    _save(folder, LlavaOnevisionForConditionalGeneration(config), processor)


def _save(folder: Path, model, processor) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.generation_config.do_sample = False
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path], None]] = {
    "qwen2_5_vl": lambda f: _qwen(f, v25=True),
    "qwen2_vl": lambda f: _qwen(f, v25=False),
    "gemma3": _gemma3,
    "mllama": _mllama,
    "llava": lambda f: _llava(f, mistral_inst=False),
    "llava_next": _llava_next,
    "llava_onevision": _llava_onevision,
    "llavamed": lambda f: _llava(f, mistral_inst=True),
}


def build_checkpoint(family: str, folder: Path) -> Path:
    """Build the tiny checkpoint of `family` into `folder` (random weights, seeded)."""
    torch.manual_seed(SEED)
    BUILDERS[family](folder)
    return folder


def build_all(root: Path) -> dict[str, Path]:
    return {family: build_checkpoint(family, root / family) for family in FAMILIES}
