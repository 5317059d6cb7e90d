"""Claude through Anthropic's Messages API (the paper: claude-3-7-sonnet-20250219).

    python inference_anthropic.py --inference_mode ICL --task_format mcqa
    python inference_anthropic.py --model claude-sonnet-4-5 --name claude-sonnet-4-5

ANTHROPIC_API_KEY from the environment; `--base-url` for a proxy. The result id is `--name`, or
`--model` without its date suffix (claude-3-7-sonnet, whose paper profile applies).
"""

from __future__ import annotations

from collections.abc import Sequence

from smmile.models.anthropic_backend import anthropic_key, check_profile_roles
from smmile.models.api.backend import ApiSettings
from smmile.models.base import ModelSpec
from smmile.models.registry import build
from smmile.results.result_ids import check_result_id, result_id
from smmile.runs import run_models
from utils import add_api_args, common_parser, run_main

DEFAULT_MODEL = "claude-3-7-sonnet-20250219"


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the Claude model to call")
    parser.add_argument("--name", default=None, help="result id; default: --model without its date")
    add_api_args(parser, base_url_help="a proxy or gateway for Anthropic's API (its root URL, without /v1)")
    args = parser.parse_args(argv)

    key = anthropic_key()
    model_id = check_result_id(args.name) if args.name else result_id(args.model, strip_date=True)
    settings = ApiSettings.from_args(args)
    spec = ModelSpec(
        model_id,
        lambda generation: build("anthropic", args.model, key, settings, generation, args.base_url),
        check_profile=lambda profile: check_profile_roles(profile.icl_answer_role, model_id),
    )
    return run_models(args, [spec], api_model=args.model)


if __name__ == "__main__":
    run_main(main)
