"""LLaVA-Med v1.5 Mistral 7B through transformers' LLaVA classes (result id llavamed).

Loads an HF-format conversion of microsoft/llava-med-v1.5-mistral-7b (by default
chaoyinshe/llava-med-v1.5-mistral-7b-hf; --model-path DIR for your own conversion, see the README)
and prompts it with the Mistral instruct turns of the paper: [INST] <image>\\n{q} [/INST] {a} </s>.

    python inference_llavamed.py --inference_mode ICL --task_format open
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.catalog import LLAVAMED, local_specs
from smmile.runs import run_models
from utils import add_local_model_args, add_models_arg, common_parser, run_script

# the authors' README ran this script with --model_name llava_7b (their script ignored it)
AUTHORS_README_NAMES = ("llava_7b",)


def main(argv: Sequence[str] | None = None, task_format: str = "open") -> int:
    parser = common_parser(__doc__.split("\n\n")[0], task_format=task_format)
    add_models_arg(
        parser,
        [LLAVAMED.result_id, *AUTHORS_README_NAMES],
        [LLAVAMED.result_id],
        "LLaVA-Med is this script's one model; the authors' README wrote --model_name llava_7b, "
        "which is accepted and runs LLaVA-Med (LLaVA-1.5 7B is inference_llava.py)",
    )
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    if set(args.models) & set(AUTHORS_README_NAMES):
        print(
            "note: inference_llavamed.py runs LLaVA-Med (result id llavamed) whatever --model_name says; "
            "for LLaVA-1.5 7B run inference_llava.py --model_name llava_7b",
            file=sys.stderr,
        )
    return run_models(args, local_specs(args, [LLAVAMED]))


if __name__ == "__main__":
    sys.exit(run_script(main))
