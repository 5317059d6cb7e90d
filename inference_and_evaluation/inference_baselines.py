"""The paper's baselines: answer each problem with a random / the most common in-context answer.

    python inference_baselines.py --baseline majority --task_format mcqa --dataset demo

ICL only, as in the paper (a 0-shot prompt has no in-context answers to draw from).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smmile.models.baselines import BASELINES, BaselineBackend
from utils import ModelSpec, common_parser, run_models, run_script


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0], modes=["ICL"])
    parser.add_argument(
        "--baseline", nargs="+", choices=[*BASELINES, "all"], default=["all"], help="which baseline(s) to run"
    )
    args = parser.parse_args(argv)
    kinds = list(BASELINES) if "all" in args.baseline else list(dict.fromkeys(args.baseline))
    return run_models(args, [ModelSpec(kind, lambda kind=kind: BaselineBackend(kind)) for kind in kinds])


if __name__ == "__main__":
    sys.exit(run_script(main))
