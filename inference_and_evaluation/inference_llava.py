"""The LLaVA family through transformers: LLaVA-1.5 7B/13B, LLaVA-NeXT (v1.6 Mistral 7B) and
LLaVA-OneVision 0.5B/7B, open and MCQA (`--task_format`), in the same environment as every model.

    python inference_llava.py --model_name llava_7b --inference_mode ICL --task_format mcqa
"""

from smmile.models.catalog import LLAVA_MODELS, ModelChoice
from utils import family_script

MODELS = ModelChoice(LLAVA_MODELS, ("llava_7b",), "which LLaVA model(s) to run")
main = family_script(__doc__, MODELS, __name__)
