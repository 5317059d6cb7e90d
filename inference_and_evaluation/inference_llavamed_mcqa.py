"""LLaVA-Med, multiple choice: inference_llavamed.py with --task_format mcqa by default (the
name of the authors' MCQA script; every flag of inference_llavamed.py applies).

    python inference_llavamed_mcqa.py --inference_mode ICL --task_format mcqa --dataset augmented
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import inference_llavamed

from utils import run_script


def main(argv: Sequence[str] | None = None) -> int:
    return inference_llavamed.main(argv, task_format="mcqa")


if __name__ == "__main__":
    sys.exit(run_script(main))
