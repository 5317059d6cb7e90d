"""A baseline run that sleeps before each answer, so a test can kill it part-way (kill -9)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "inference_and_evaluation"))

from smmile.models.base import ModelSpec  # noqa: E402
from smmile.models.baselines import BaselineBackend  # noqa: E402
from smmile.runs import run_models  # noqa: E402
from utils import common_parser, run_main  # noqa: E402


class SlowBaseline(BaselineBackend):
    def __init__(self, kind: str, delay: float):
        super().__init__(kind)
        self.delay = delay

    def answer(self, prompt):
        time.sleep(self.delay)
        return super().answer(prompt)


def main(argv=None) -> int:
    parser = common_parser("slow baseline", modes=["ICL"])
    parser.add_argument("--baseline", default="majority")
    parser.add_argument("--delay", type=float, default=0.3)
    args = parser.parse_args(argv)
    return run_models(args, [ModelSpec(args.baseline, lambda _: SlowBaseline(args.baseline, args.delay))])


if __name__ == "__main__":
    run_main(main)
