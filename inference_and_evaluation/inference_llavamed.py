"""LLaVA-Med v1.5 Mistral 7B through transformers' LLaVA classes (result id llavamed).

Loads an HF-format conversion of microsoft/llava-med-v1.5-mistral-7b (by default
chaoyinshe/llava-med-v1.5-mistral-7b-hf; --model-path DIR for your own conversion, see the README)
and prompts it with the Mistral instruct turns of the paper: [INST] <image>\\n{q} [/INST] {a} </s>.

    python inference_llavamed.py --inference_mode ICL --task_format open
"""

from smmile.models.catalog import LLAVAMED, ModelChoice
from utils import family_script

# the authors' README ran this script with --model_name llava_7b (their script ignored it)
MODELS = ModelChoice(
    {LLAVAMED.result_id: LLAVAMED, "llava_7b": LLAVAMED},
    (LLAVAMED.result_id,),
    "LLaVA-Med is this script's one model; the authors' README wrote --model_name llava_7b, "
    "which is accepted and runs LLaVA-Med (LLaVA-1.5 7B is inference_llava.py)",
    offer_all=False,
    notes={
        "llava_7b": "note: inference_llavamed.py runs LLaVA-Med (result id llavamed) whatever --model_name "
        "says; for LLaVA-1.5 7B run inference_llava.py --model_name llava_7b"
    },
)
main = family_script(__doc__, MODELS, __name__)
