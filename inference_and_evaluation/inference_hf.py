"""Any Hugging Face image-text-to-text checkpoint through transformers (your own model on SMMILE).

    python inference_hf.py --model OWNER/NAME [--revision REV] --inference_mode ICL --task_format mcqa
    python inference_hf.py --model-path DIR --name my-model --inference_mode 0-shot --task_format open

The checkpoint loads with AutoModelForImageTextToText and AutoProcessor and the conversation is
rendered by its own chat template, in left-padded batches (`--batch-size`) as the family scripts
run. The result id is `--name`, or the last part of the hub id. The prompts follow the unified
protocol (one profile for every model) unless `--protocol paper` or `--profile MODEL_ID` (a paper
profile to borrow, e.g. qwen7B) is given. A checkpoint without a chat template, or of an
architecture transformers cannot load as image-text-to-text, is refused at load. Code shipped
with a checkpoint runs only with `--trust-remote-code`.
"""

from __future__ import annotations

from collections.abc import Sequence

from smmile.cli import redefault
from smmile.models.catalog import any_checkpoint, local_specs
from smmile.runs import run_models
from utils import add_checkpoint_args, add_local_model_args, common_parser, run_main


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    add_checkpoint_args(parser)
    redefault(parser, "protocol", None, "default: unified, or paper with --profile")
    add_local_model_args(parser)
    args = parser.parse_args(argv)
    model = any_checkpoint(args.model, args.model_path, args.revision, args.name)
    if args.protocol is None:  # unified, unless a paper profile is borrowed
        args.protocol = "paper" if args.profile else "unified"
    return run_models(args, local_specs(args, [model]))


if __name__ == "__main__":
    run_main(main)
