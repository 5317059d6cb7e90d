"""Qwen2.5-VL-{3B,7B,32B,72B}-Instruct through transformers (result ids qwen3B ... qwen72B).

python inference_qwen.py --models 7B --inference_mode ICL --task_format open
python inference_qwen.py --models 72B --gpu-devices 0,1,2,3 --batch-size 4
"""

from smmile.models.catalog import QWEN, ModelChoice
from utils import family_script

SIZES = ModelChoice(QWEN, ("all",), "which Qwen2.5-VL sizes to run")
main = family_script(__doc__, SIZES, __name__)
