"""Local generation throughput at batch sizes 1, 4 and 8, side by side in one run.

    .venv/bin/python bench/local_generation.py [--family qwen2_5_vl] [--problems 48] [--new-tokens 32]
    .venv/bin/python bench/local_generation.py --real-size qwen7b     # on a GPU machine only

Default: a tiny random-weight checkpoint of the family (tests/tiny_checkpoints.py) on the CPU in
float32. `--real-size qwen7b` builds a random-weight model of the real Qwen2.5-VL-7B configuration
on the GPU in bfloat16 (no download; the processor is the real one's settings with a small local
tokenizer) and feeds it the demo images enlarged to --image-size px.

The prompts are the demo's problems (ICL, MCQA, the model's paper profile), repeated to --problems
with distinct ids, run through TransformersBackend.stream; every prompt generates exactly
--new-tokens tokens (min = max), so tokens/s compare across batch sizes. Prints problems/s and new
tokens/s per batch size, their ratio to batch 1, and whether each batch size's outputs equal batch 1's.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "inference_and_evaluation"), str(ROOT / "tests")]

import torch  # noqa: E402

from smmile.data import load_dataset_problems, resolve_source  # noqa: E402
from smmile.models.base import GenerationConfig  # noqa: E402
from smmile.models.catalog import FAMILIES, QWEN, LocalSettings  # noqa: E402
from smmile.models.transformers_backend import TransformersBackend  # noqa: E402
from smmile.prompts import build_prompt, get_profile  # noqa: E402
from smmile.types import ImageRef, Problem, Prompt, Triplet  # noqa: E402

BATCH_SIZES = (1, 4, 8)

# Qwen2.5-VL-7B-Instruct's published configuration (text and vision), for --real-size qwen7b.
QWEN7B_TEXT = {
    "vocab_size": 152064,
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "max_position_embeddings": 128000,
    "rms_norm_eps": 1e-6,
    "rope_parameters": {"rope_type": "default", "mrope_section": [16, 24, 24], "rope_theta": 1000000.0},
}
QWEN7B_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 3584,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "tokens_per_second": 2,
}


def repeated_problems(n: int, image_size: int | None) -> list[Problem]:
    """The demo's problems repeated to `n` (distinct ids), images optionally enlarged to a square."""
    demo = sorted(load_dataset_problems(resolve_source("demo")).problems, key=lambda p: p.problem_id)

    def enlarge(t: Triplet) -> Triplet:
        if image_size is None or t.image is None:
            return t
        buf = io.BytesIO()
        t.image.open().resize((image_size, image_size)).save(buf, format="PNG")
        return dataclasses.replace(t, image=ImageRef.from_bytes(buf.getvalue()))

    out = []
    for i in range(n):
        p = demo[i % len(demo)]
        examples = tuple(enlarge(t) for t in p.examples)
        out.append(Problem(f"{p.problem_id}#{i}", examples, enlarge(p.query), p.metadata, p.dataset))
    return out


def tiny_backend(family: str, folder: Path, new_tokens: int) -> TransformersBackend:
    from tiny_checkpoints import MODEL_OF_FAMILY, build_checkpoint

    build_checkpoint(family, folder)
    settings = LocalSettings(model_path=str(folder), dtype="float32")
    generation = GenerationConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    return TransformersBackend(MODEL_OF_FAMILY[family], settings, generation)


def qwen7b_backend(new_tokens: int, device: str = "cuda") -> TransformersBackend:
    """A random-weight Qwen2.5-VL-7B (real configuration) on the GPU, bf16; no download."""
    from tiny_checkpoints import QWEN_SPECIALS, QWEN_TEMPLATE, qwen_tokenizer
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    from smmile.models.transformers_backend import flash_attention_available

    tok = qwen_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    text = {
        **QWEN7B_TEXT,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=QWEN7B_VISION,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    attn = "flash_attention_2" if flash_attention_available() else "sdpa"
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(
            config, dtype=torch.bfloat16, attn_implementation=attn
        )
    model.eval()
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(),  # the released defaults: 56x56 to 12.8 Mpx, patch 14
        tokenizer=tok,
        video_processor=Qwen2VLVideoProcessor(),
        chat_template=QWEN_TEMPLATE,
    )
    settings = LocalSettings(dtype="bfloat16")
    generation = GenerationConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    backend = TransformersBackend(QWEN["7B"], settings, generation, loaded=(model, processor))
    backend.attn_implementation = attn
    return backend


def measure(backend: TransformersBackend, prompts: list[Prompt], batch: int) -> tuple[float, int, list]:
    backend.batch_size = batch
    start = time.perf_counter()
    results = dict(backend.stream(prompts))
    elapsed = time.perf_counter() - start
    failed = [r.error for r in results.values() if r.status != "ok"]
    if failed:
        raise SystemExit(f"batch {batch}: {len(failed)} prompt(s) failed, e.g. {failed[0]}")
    tokens = sum(r.usage["output_tokens"] for r in results.values())
    return elapsed, tokens, [results[i].text for i in range(len(prompts))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--family", choices=list(FAMILIES), default="qwen2_5_vl", help="tiny checkpoint's family"
    )
    parser.add_argument("--problems", type=int, default=48, help="prompts per batch size")
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens generated per prompt")
    parser.add_argument(
        "--real-size", choices=["qwen7b"], default=None, help="random-weight real-size model (GPU)"
    )
    parser.add_argument(
        "--image-size", type=int, default=448, help="--real-size: demo images enlarged to this"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        if args.real_size:
            if not torch.cuda.is_available():
                print("error: --real-size needs a CUDA GPU", file=sys.stderr)
                return 2
            backend = qwen7b_backend(args.new_tokens)
            problems = repeated_problems(args.problems, args.image_size)
            what = (
                f"random-weight Qwen2.5-VL-7B (real configuration), {torch.cuda.get_device_name(0)}, bfloat16"
            )
            what += f", {backend.attn_implementation}, images {args.image_size}x{args.image_size}"
        else:
            backend = tiny_backend(args.family, Path(tmp) / args.family, args.new_tokens)
            problems = repeated_problems(args.problems, None)
            what = f"tiny {args.family} checkpoint, CPU ({torch.get_num_threads()} threads), float32"
        profile = get_profile(backend.spec.result_id)
        prompts = [build_prompt(p, "ICL", "mcqa", profile) for p in problems]
        measure(backend, prompts[:2], 2)  # warm-up
        print(f"{what}; {len(prompts)} problems (ICL, MCQA, demo), {args.new_tokens} new tokens each")
        print(
            f"{'batch':>5}  {'seconds':>8}  {'problems/s':>10}  {'new tokens/s':>12}  {'vs batch 1':>10}  same as batch 1"
        )
        base_rate, base_texts = None, None
        for batch in BATCH_SIZES:
            elapsed, tokens, texts = measure(backend, prompts, batch)
            rate = len(prompts) / elapsed
            base_rate = base_rate or rate
            base_texts = base_texts or texts
            same = sum(a == b for a, b in zip(texts, base_texts, strict=True))
            print(
                f"{batch:>5}  {elapsed:>8.2f}  {rate:>10.2f}  {tokens / elapsed:>12.1f}  "
                f"{rate / base_rate:>9.2f}x  {same}/{len(prompts)}"
            )
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
