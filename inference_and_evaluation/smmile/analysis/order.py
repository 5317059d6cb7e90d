"""The paper's order of rows and columns: baselines first, then the models by display name;
metrics LLM, EM, MCQA; 0-shot before ICL. The display names are the paper's (as its LaTeX prints
them); a model the paper does not name shows its id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

BASELINES = ("majority", "random", "llama33textonly")
METRIC_ORDER = ("LLM", "EM", "MCQA")
MODE_ORDER = ("0-shot", "ICL")
STRICT = "EM strict"  # exact match on the raw strings (evaluate_EM.py --strict-match), beside EM
METRICS_WITH_STRICT = (*METRIC_ORDER[:2], STRICT, *METRIC_ORDER[2:])

DISPLAY_NAMES = {
    "majority": "Majority",
    "random": "Random",
    "llama33textonly": "Text only$^*$",
    "MedVLM-R1": "MedVLM-R1",
    "claude-3-7-sonnet": "Claude 3.7 Sonnet",
    "gpt-4o": "GPT-4o",
    "llama32_vision_90b": "Llama-3.2-Vision-90B",
    "llava_13b": "LLaVA-v1.5-13B",
    "llava_7b": "LLaVA-v1.5-7B",
    "llavanext_7b": "LLaVa-v1.6-Mistral-7B",
    "llavaonevision_0.5b": "LLaVA-Onevision-0.5B",
    "llavaonevision_7b": "LLaVA-Onevision-7B",
    "llavamed": "LLaVA-Med$^{**}$",
    "qwen3B": "Qwen2.5-VL-3B",
    "qwen7B": "Qwen2.5-VL-7B",
    "qwen32B": "Qwen2.5-VL-32B",
    "qwen72B": "Qwen2.5-VL-72B",
    "medgemma_4b": "MedGemma 4B Multimodal",
}


def display_name(model: str) -> str:
    """The plain-text display name (LaTeX markup dropped: `Text only*`)."""
    return re.sub(r"[${}^]", "", DISPLAY_NAMES[model]) if model in DISPLAY_NAMES else model


def _natural(text: str) -> list[Any]:
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text.lower()) if t]


def row_order(models: Sequence[str]) -> tuple[list[str], list[str]]:
    """(baselines in the paper's order, the other models sorted by display name)."""
    present = set(models)
    baselines = [m for m in BASELINES if m in present]
    others = sorted(present - set(BASELINES), key=lambda m: (_natural(display_name(m)), m))
    return baselines, others


def in_row_order(models: Sequence[str]) -> list[str]:
    """`row_order` as one list."""
    return [m for group in row_order(models) for m in group]
