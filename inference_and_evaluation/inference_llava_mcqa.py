"""the LLaVA family, multiple choice: inference_llava.py with --task_format mcqa by default (the
name of the authors' MCQA script; every flag of inference_llava.py applies).

    python inference_llava_mcqa.py --inference_mode ICL --model_name llava_7b --task_format mcqa --dataset augmented
"""

import inference_llava

from utils import mcqa_script

main = mcqa_script(inference_llava.main, __name__)
