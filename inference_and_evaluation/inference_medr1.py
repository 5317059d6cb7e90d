"""MedVLM-R1 (a Qwen2-VL 2B) through transformers (result id MedVLM-R1).

Its paper profile shows only the query's image; the in-context examples are given as text.

    python inference_medr1.py --inference_mode ICL --task_format open
"""

from smmile.models.catalog import MEDVLM_R1
from utils import family_script

main = family_script(__doc__, MEDVLM_R1, __name__)
