"""LLaVA-Med, multiple choice: inference_llavamed.py with --task_format mcqa by default (the
name of the authors' MCQA script; every flag of inference_llavamed.py applies).

    python inference_llavamed_mcqa.py --inference_mode ICL --task_format mcqa --dataset augmented
"""

import inference_llavamed

from utils import mcqa_script

main = mcqa_script(inference_llavamed.main, __name__)
