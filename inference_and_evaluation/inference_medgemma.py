"""MedGemma 4B (google/medgemma-4b-it, Gemma 3) through transformers (result id medgemma_4b).

python inference_medgemma.py --inference_mode ICL --task_format open
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.catalog import MEDGEMMA, local_specs
from smmile.runs import run_models
from utils import add_local_model_args, common_parser, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    return run_models(args, local_specs(args, [MEDGEMMA]))


if __name__ == "__main__":
    sys.exit(run_script(main))
