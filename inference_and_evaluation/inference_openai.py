"""GPT-4o through OpenAI or Azure OpenAI, and any model on an OpenAI-compatible server.

    python inference_openai.py --model gpt-4o --inference_mode ICL --task_format open
    python inference_openai.py --base-url http://node1:8000/v1 --model Qwen/Qwen2.5-VL-72B-Instruct --name qwen72B

Where requests go: `--base-url` (vLLM, SGLang, ollama, LM Studio; OPENAI_API_KEY if the server
wants one), else Azure OpenAI when AZURE_OPENAI_ENDPOINT is set (AZURE_OPENAI_API_KEY,
AZURE_OPENAI_API_VERSION, default 2024-05-01-preview; `--model` is the deployment), else OpenAI
(OPENAI_API_KEY). The result id (file names, paper profile) is `--name`, or derived from `--model`.
"""

from __future__ import annotations

from collections.abc import Sequence

from smmile.models.api.backend import ApiSettings
from smmile.models.api.server_check import check_openai, preflight_timeout
from smmile.models.base import Backend, GenerationConfig, ModelSpec
from smmile.models.openai_backend import OpenAIService
from smmile.models.registry import build
from smmile.results.result_ids import check_result_id, result_id
from smmile.runs import run_models
from utils import add_api_args, common_parser, run_main


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gpt-4o", help="the model (Azure: the deployment) to call")
    parser.add_argument("--name", default=None, help="result id; default: derived from --model")
    add_api_args(parser)
    args = parser.parse_args(argv)

    service = OpenAIService.from_env(args.base_url)
    model_id = check_result_id(args.name) if args.name else result_id(args.model)
    settings = ApiSettings.from_args(args)

    def make_backend(generation: GenerationConfig) -> Backend:
        if args.base_url:  # one cheap request first: a dead or key-refusing server stops here
            check_openai(args.base_url, preflight_timeout(args.timeout), role="server", flag="--base-url")
        return build("openai", args.model, service, settings, generation)

    spec = ModelSpec(model_id, make_backend)
    return run_models(args, [spec], api_model=args.model, service=service.kind)


if __name__ == "__main__":
    run_main(main)
