"""The text-only baseline: llama3.3 through ollama, shown the questions and answers but no image.

    python inference_llama33textonly.py --inference_mode ICL --task_format open
    python inference_llama33textonly.py --inference_mode 0-shot --task_format mcqa --temperature 0

The paper's text-only prompts (P0/P1 and the text-only MCQA frame), one user turn. As in the
paper, no sampling option is sent (ollama's defaults: sampling on) unless `--temperature` is given.
`--ollama-host` (default OLLAMA_HOST, else http://localhost:11434).
"""

from __future__ import annotations

from collections.abc import Sequence

from smmile.cli import add_flag
from smmile.models.api.backend import ApiSettings
from smmile.models.api.server_check import check_ollama, preflight_timeout
from smmile.models.base import Backend, GenerationConfig, ModelSpec
from smmile.models.ollama_backend import ollama_host
from smmile.models.registry import build
from smmile.results.result_ids import check_result_id
from smmile.runs import run_models
from utils import add_api_args, common_parser, run_main

MODEL_ID = "llama33textonly"


def main(argv: Sequence[str] | None = None, task_format: str = "open") -> int:
    parser = common_parser(__doc__.split("\n\n")[0], task_format=task_format)
    parser.add_argument("--model", default="llama3.3", help="the ollama model to call")
    parser.add_argument("--name", default=MODEL_ID, help="result id")
    add_flag(parser, "--ollama-host", default=None, help="ollama server")
    parser.add_argument(
        "--temperature", type=float, default=None, help="sampling temperature (default: ollama's own)"
    )
    add_api_args(parser, base_url_flags=())
    args = parser.parse_args(argv)

    model_id = check_result_id(args.name)
    changes: dict[str, object] = {}  # to the profile's generation settings
    if args.temperature is not None:
        changes["temperature"] = args.temperature
    if args.protocol == "paper":  # the paper sent ollama no options
        changes["max_new_tokens"] = None
    settings = ApiSettings.from_args(args)
    host = ollama_host(args.ollama_host)

    def make_backend(generation: GenerationConfig) -> Backend:
        # one cheap request first: the server answers, the model is pulled
        check_ollama(
            args.model, host, preflight_timeout(args.timeout), role="ollama server", flag="--ollama-host"
        )
        return build("ollama", args.model, host, settings, generation)

    spec = ModelSpec(model_id, make_backend, generation=changes)
    return run_models(args, [spec], api_model=args.model)


if __name__ == "__main__":
    run_main(main)
