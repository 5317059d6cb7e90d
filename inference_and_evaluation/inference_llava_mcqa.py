"""the LLaVA family, multiple choice: inference_llava.py with --task_format mcqa by default (the
name of the authors' MCQA script; every flag of inference_llava.py applies).

    python inference_llava_mcqa.py --inference_mode ICL --model_name llava_7b --task_format mcqa --dataset augmented
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import inference_llava

from utils import run_script


def main(argv: Sequence[str] | None = None) -> int:
    return inference_llava.main(argv, task_format="mcqa")


if __name__ == "__main__":
    sys.exit(run_script(main))
