"""the text-only baseline (llama3.3 through ollama), multiple choice: inference_llama33textonly.py with --task_format mcqa by default (the
name of the authors' MCQA script; every flag of inference_llama33textonly.py applies).

    python inference_llama33textonly_mcqa.py --inference_mode ICL --task_format mcqa --dataset augmented
"""

import inference_llama33textonly

from utils import mcqa_script

main = mcqa_script(inference_llama33textonly.main, __name__)
