"""Score open-format results with an LLM judge (the paper: llama3.3 through ollama).

    python evaluate_LLMJudge.py [RESULTS_DIR] [--model M] [--inference-mode ICL] [--visualize-only]
        [--judge-backend {ollama,openai}] [--judge-model llama3.3] [--judge-base-url URL] [--concurrency 8]

Writes <result>_evaluationllm.json beside each open-format result and model_comparison_llm.txt.
Verdicts are cached in RESULTS_DIR/judge_cache.sqlite by (backend, judge model, prompt): a re-run on
unchanged results sends no request; a changed answer is judged again. A damaged cache is refused
in one line; `--rebuild-cache` keeps it aside and starts a new one. `--visualize-only` sends
nothing and builds the comparison from the saved judge JSONs.

Before the first request it asks the judge server for its model list and stops in one line when
the server does not answer (or, for ollama, lacks the judge model). One judge at a time per
folder: a second one is refused at once (RESULTS_DIR/.judge.lock). A request that still failed
after its retries leaves its record unjudged: that result's JSON is written incomplete (no score;
`"complete": false`), each incomplete result is named in one line with its first error, and the
exit status is 1; a re-run judges only the unjudged records.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smmile.errors import UserError
from smmile.folder_lock import folder_lock
from smmile.io import write_atomic
from smmile.judge.cache import REBUILD_FLAG, JudgeCache
from smmile.judge.judging import (
    DEFAULT_JUDGE_MODEL,
    JUDGE_BACKENDS,
    Judge,
    judge_evaluation,
    judge_texts,
    make_judge_backend,
)
from smmile.models.api.backend import ApiSettings
from smmile.models.api.server_check import check_judge_server
from smmile.present.tables import comparison_table
from smmile.results.evaluations import incomplete_reason, is_complete, merged, read_evaluations
from smmile.results.naming import JUDGE_CACHE, JUDGE_SUFFIX, MODEL_COMPARISON_LLM, evaluation_name
from smmile.results.outputs import JudgeInfo
from smmile.results.reader import load_results
from smmile.types import MODES
from utils import add_api_args, run_main, script_parser


def saved_evaluations(folder: Path, models: Sequence[str] | None, mode: str | None) -> list[dict[str, Any]]:
    """The judge JSONs already in `folder` (those of the filters); a bad one is named on stderr."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    found, notes = read_evaluations(folder, JUDGE_SUFFIX, models, mode)
    for line in notes:
        print(line, file=sys.stderr)
    if not found:
        raise UserError(
            f"{folder}: no saved judge evaluation (*{JUDGE_SUFFIX}); run without --visualize-only"
        )
    return [s.data for s in found]


def report(evaluations: list[dict[str, Any]], folder: Path) -> None:
    table = comparison_table(evaluations)
    write_atomic(folder / MODEL_COMPARISON_LLM, table)
    print(table, end="")
    print(f"{len(evaluations)} judge evaluation(s); comparison written to {folder / MODEL_COMPARISON_LLM}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", nargs="?", default="../results", help="folder of result files")
    parser.add_argument("--model", action="append", help="judge only this model id (repeatable)")
    parser.add_argument(
        "--inference-mode", "--inference_mode", dest="inference_mode", choices=list(MODES), default=None
    )
    parser.add_argument(
        "--visualize-only",
        "--visualize_only",
        dest="visualize_only",
        action="store_true",
        help="no judge calls: the comparison from the saved judge JSONs",
    )
    parser.add_argument(
        "--judge-backend",
        "--judge_backend",
        choices=JUDGE_BACKENDS,
        default="ollama",
        help="ollama, or any OpenAI-compatible server (OpenAI, Azure, vLLM, SGLang)",
    )
    parser.add_argument(
        "--judge-model", "--judge_model", default=DEFAULT_JUDGE_MODEL, help="the judge model's name"
    )
    parser.add_argument(
        REBUILD_FLAG,
        "--rebuild_cache",
        dest="rebuild_cache",
        action="store_true",
        help=f"keep {JUDGE_CACHE} aside under a backup name and start a new cache (judges every prompt "
        "again); for a damaged cache",
    )
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    add_api_args(
        parser,
        base_url_flags=("--judge-base-url", "--judge_base_url"),
        base_url_help="ollama: its host (default OLLAMA_HOST, else http://localhost:11434); "
        "openai: the server's URL, e.g. http://node1:8000/v1 (default: OpenAI or Azure from the environment)",
    )
    args = parser.parse_args(argv)
    folder = Path(args.results_dir)

    if args.visualize_only:
        report(saved_evaluations(folder, args.model, args.inference_mode), folder)
        return 0

    results, notes = load_results(folder, args.model, args.inference_mode)
    for line in notes:
        print(line, file=sys.stderr)
    open_results = [r for r in results if r.key is not None and r.key.task_format == "open"]
    if not open_results:
        raise UserError(
            f"{folder}: no open-format result to judge (MCQA results are scored by evaluate_EM.py)"
        )

    # The paper's judge ran with the server's default sampling: no temperature, no token limit.
    settings = ApiSettings.from_args(args)  # the judge's sampling is the server's (JUDGE_GENERATION)
    backend = make_judge_backend(args.judge_backend, args.judge_model, args.base_url, settings)

    def preflight(n: int) -> None:
        check_judge_server(args.judge_backend, args.judge_model, args.base_url, settings.retry.read_timeout_s)

    with folder_lock(folder, "judge"), JudgeCache.in_folder(folder, args.rebuild_cache) as cache:
        if cache.set_aside_as is not None:
            print(f"{REBUILD_FLAG}: the previous cache is kept as {cache.set_aside_as.name}", file=sys.stderr)
        try:
            run = Judge(backend, args.judge_backend, args.judge_model, cache).judge_all(
                judge_texts(open_results), progress=args.progress, before_sending=preflight
            )
        finally:
            backend.close()
        print(
            f"judge {args.judge_backend}:{args.judge_model}: {len(run.verdicts)} distinct prompt(s), "
            f"{run.cached} from the cache, {run.sent} sent, {run.failed} failed"
        )
        info: JudgeInfo = {"backend": args.judge_backend, "model": args.judge_model}
        evaluations = []
        for result in open_results:
            evaluation = judge_evaluation(result, run.verdict, info)
            write_atomic(
                folder / evaluation_name(result.output_stem, JUDGE_SUFFIX),
                json.dumps(evaluation, indent=2) + "\n",
            )
            evaluations.append((result, evaluation))
        # the comparison keeps the rows of results outside the filters, from their saved JSONs
        saved, _ = read_evaluations(folder, JUDGE_SUFFIX)
        report(merged({r.output_stem: e for r, e in evaluations}, saved), folder)
    incomplete = [(r, e) for r, e in evaluations if not is_complete(e)]
    for result, evaluation in incomplete:
        print(f"error: {result.name}: {incomplete_reason(evaluation)}; no score written", file=sys.stderr)
    if incomplete:
        print(
            f"error: {len(incomplete)} of {len(evaluations)} result(s) incomplete ({run.failed} judge "
            "request(s) failed after their retries); re-run to judge only the unjudged records, "
            "the others are cached",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    run_main(main)
