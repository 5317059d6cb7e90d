"""Llama-3.2-90B-Vision-Instruct (Mllama) through transformers (result id llama32_vision_90b).

Spread over the visible GPUs with device_map=auto (about 180 GB in bfloat16): e.g. --gpu-devices 0,1,2,3.

    python inference_llama32v.py --inference_mode ICL --task_format open
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.catalog import LLAMA32_VISION, local_specs
from smmile.runs import run_models
from utils import add_local_model_args, common_parser, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    return run_models(args, local_specs(args, [LLAMA32_VISION]))


if __name__ == "__main__":
    sys.exit(run_script(main))
