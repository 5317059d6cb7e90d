"""The paper's baselines: answer each problem with a random / the most common in-context answer.

    python inference_baselines.py --baseline majority --task_format mcqa --dataset demo

ICL only, as in the paper (a 0-shot prompt has no in-context answers to draw from).
"""

from __future__ import annotations

from collections.abc import Sequence

from smmile.errors import UserError
from smmile.models.base import ModelSpec
from smmile.models.baselines import BASELINES
from smmile.models.registry import build
from smmile.results.result_ids import check_result_id
from smmile.runs import run_models
from utils import add_name_arg, common_parser, run_main


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0], modes=["ICL"])
    parser.add_argument(
        "--baseline", nargs="+", choices=[*BASELINES, "all"], default=["all"], help="which baseline(s) to run"
    )
    add_name_arg(parser, "the baseline's name")
    args = parser.parse_args(argv)
    kinds = list(BASELINES) if "all" in args.baseline else list(dict.fromkeys(args.baseline))
    if args.name is not None and len(kinds) != 1:
        raise UserError(f"--name names one result, but {len(kinds)} baselines are selected; select one")
    specs = [ModelSpec(kind, lambda _, kind=kind: build("baseline", kind), kind) for kind in kinds]
    if args.name is not None:
        specs = [ModelSpec(check_result_id(args.name), specs[0].make_backend, kinds[0])]
    return run_models(args, specs)


if __name__ == "__main__":
    run_main(main)
