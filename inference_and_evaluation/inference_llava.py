"""The LLaVA family through transformers: LLaVA-1.5 7B/13B, LLaVA-NeXT (v1.6 Mistral 7B) and
LLaVA-OneVision 0.5B/7B, open and MCQA (`--task_format`), in the same environment as every model.

    python inference_llava.py --model_name llava_7b --inference_mode ICL --task_format mcqa
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.catalog import LLAVA_MODELS, local_specs, pick
from smmile.runs import run_models
from utils import add_local_model_args, add_models_arg, common_parser, run_script


def main(argv: Sequence[str] | None = None, task_format: str = "open") -> int:
    parser = common_parser(__doc__.split("\n\n")[0], task_format=task_format)
    add_models_arg(parser, [*LLAVA_MODELS, "all"], ["llava_7b"], "which LLaVA model(s) to run")
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    models = pick(LLAVA_MODELS, args.models)
    return run_models(args, local_specs(args, models))


if __name__ == "__main__":
    sys.exit(run_script(main))
