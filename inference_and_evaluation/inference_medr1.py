"""MedVLM-R1 (a Qwen2-VL 2B) through transformers (result id MedVLM-R1).

Its paper profile shows only the query's image; the in-context examples are given as text.

    python inference_medr1.py --inference_mode ICL --task_format open
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.catalog import MEDVLM_R1, local_specs
from smmile.runs import run_models
from utils import add_local_model_args, common_parser, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    return run_models(args, local_specs(args, [MEDVLM_R1]))


if __name__ == "__main__":
    sys.exit(run_script(main))
