"""Qwen2.5-VL-{3B,7B,32B,72B}-Instruct through transformers (result ids qwen3B ... qwen72B).

python inference_qwen.py --models 7B --inference_mode ICL --task_format open
python inference_qwen.py --models 72B --gpu-devices 0,1,2,3 --batch-size 4
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.catalog import QWEN, local_specs, pick
from smmile.runs import run_models
from utils import add_local_model_args, add_models_arg, common_parser, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    add_models_arg(parser, [*QWEN, "all"], ["all"], "which Qwen2.5-VL sizes to run")
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    models = pick(QWEN, args.models)
    return run_models(args, local_specs(args, models))


if __name__ == "__main__":
    sys.exit(run_script(main))
