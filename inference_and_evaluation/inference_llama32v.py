"""Llama-3.2-90B-Vision-Instruct (Mllama) through transformers (result id llama32_vision_90b).

Spread over the visible GPUs with device_map=auto (about 180 GB in bfloat16): e.g. --gpu-devices 0,1,2,3.

    python inference_llama32v.py --inference_mode ICL --task_format open
"""

from smmile.models.catalog import LLAMA32_VISION
from utils import family_script

main = family_script(__doc__, LLAMA32_VISION, __name__)
