"""the text-only baseline (llama3.3 through ollama), multiple choice: inference_llama33textonly.py with --task_format mcqa by default (the
name of the authors' MCQA script; every flag of inference_llama33textonly.py applies).

    python inference_llama33textonly_mcqa.py --inference_mode ICL --task_format mcqa --dataset augmented
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import inference_llama33textonly

from utils import run_script


def main(argv: Sequence[str] | None = None) -> int:
    return inference_llama33textonly.main(argv, task_format="mcqa")


if __name__ == "__main__":
    sys.exit(run_script(main))
