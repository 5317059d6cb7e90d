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

import sys
from collections.abc import Sequence

from smmile.errors import UserError
from smmile.models.catalog import IMAGE_TEXT_TO_TEXT, LocalModel, local_specs
from smmile.results.result_ids import check_result_id, result_id
from smmile.runs import run_models
from utils import add_local_model_args, common_parser, redefault, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        "--model_name",
        "--model-name",
        dest="model",
        default=None,
        metavar="HUB_ID",
        help="the checkpoint's hub id, e.g. OWNER/NAME (with --model-path: recorded as its origin)",
    )
    parser.add_argument("--revision", default=None, help="hub branch, tag or commit of --model")
    parser.add_argument(
        "--name", default=None, help="result id (file names); default: the last part of --model"
    )
    parser.add_argument(
        "--trust-remote-code",
        "--trust_remote_code",
        dest="trust_remote_code",
        action="store_true",
        help="run the Python code a checkpoint ships (only for checkpoints you trust)",
    )
    redefault(parser, "protocol", None, "default: unified, or paper with --profile")
    add_local_model_args(parser)
    args = parser.parse_args(argv)

    if args.model is None and args.model_path is None:
        raise UserError("name the checkpoint: --model OWNER/NAME (hub) or --model-path DIR (local folder)")
    if args.revision is not None and args.model is None:
        raise UserError("--revision needs --model (a hub id); a --model-path folder has no revisions")
    if args.name is not None:
        model_id = check_result_id(args.name)
    elif args.model is not None:
        model_id = result_id(args.model)
    else:
        raise UserError("--model-path needs --name (the result id its files are named after)")
    if args.protocol is None:  # unified, unless a paper profile is borrowed
        args.protocol = "paper" if args.profile else "unified"
    model = LocalModel(model_id, args.model, IMAGE_TEXT_TO_TEXT)
    return run_models(args, local_specs(args, [model]))


if __name__ == "__main__":
    sys.exit(run_script(main))
