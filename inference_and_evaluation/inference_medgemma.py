"""MedGemma 4B (google/medgemma-4b-it, Gemma 3) through transformers (result id medgemma_4b).

python inference_medgemma.py --inference_mode ICL --task_format open
"""

from smmile.models.catalog import MEDGEMMA
from utils import family_script

main = family_script(__doc__, MEDGEMMA, __name__)
