"""LLaVA-Med v1.5 Mistral 7B through transformers' LLaVA classes (result id llavamed).

Loads an HF-format conversion of microsoft/llava-med-v1.5-mistral-7b (by default
chaoyinshe/llava-med-v1.5-mistral-7b-hf; --model-path DIR for your own conversion, see the README)
and prompts it with the Mistral instruct turns of the paper: [INST] <image>\\n{q} [/INST] {a} </s>.

    python inference_llavamed.py --inference_mode ICL --task_format open
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.families import LLAVAMED, local_backends
from utils import ModelSpec, add_local_model_args, common_parser, run_models, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    return run_models(args, [ModelSpec(*spec) for spec in local_backends(args, [LLAVAMED])])


if __name__ == "__main__":
    sys.exit(run_script(main))
