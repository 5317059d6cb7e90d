"""Command-line plumbing shared by every script: the flag groups and the main() wrapper.

What a run does with the flags lives in the library (smmile.runs)."""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from smmile.ablations import ICL_ORDERS, IRRELEVANT_FROM, KEEP, POSITIONS
from smmile.cli import EXIT_USER_ERROR, HelpFormatter, ScriptParser, add_flag, at_least
from smmile.errors import Interrupted, UserError, clear_stop_request, request_stop
from smmile.models.catalog import ATTN_IMPLEMENTATIONS, DTYPES, LocalModel, ModelChoice, local_specs
from smmile.redaction import redact
from smmile.runs import note, run_models
from smmile.types import MODES, TASK_FORMATS

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_on(signum: int, frame) -> None:
    """The first SIGINT or SIGTERM stops the run; later ones are ignored so that what was written
    is flushed and closed undisturbed."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    request_stop(signum)  # raised again by the run loop if this exception is swallowed
    raise Interrupted(signum)


def run_script(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run a script's main(); every failure it can explain ends here as one line on stderr.

    A UserError exits 2; SIGINT (Ctrl-C) and SIGTERM (scancel, kill) stop the run with 130 / 143
    once what was written has been flushed and closed.
    """
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    ours = [sig for sig, h in previous.items() if h in (signal.SIG_DFL, signal.default_int_handler)]
    clear_stop_request()
    for sig in ours:  # a signal ignored on purpose (nohup, a background job) stays ignored
        signal.signal(sig, _stop_on)
    try:
        code = int(main(argv) or 0)
    except UserError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        code = EXIT_USER_ERROR
    except KeyboardInterrupt as exc:
        for sig in ours:  # the process is ending: a second Ctrl-C changes nothing now
            signal.signal(sig, signal.SIG_IGN)
        signum = getattr(exc, "signum", signal.SIGINT)
        where = getattr(exc, "where", None)
        kept = f"{where} keeps every record written so far" if where else "what was written is kept"
        print(
            f"interrupted by {signal.Signals(signum).name}: {kept}; re-run the same command to continue",
            file=sys.stderr,
        )
        return 128 + signum
    for sig in ours:
        signal.signal(sig, previous[sig])
    return code


def run_main(main: Callable[[Sequence[str] | None], int]) -> NoReturn:
    """Run a script's main() as the program and exit with its code. A run stopped by a signal
    ends as soon as its lines are out: what it wrote is already flushed and closed, and the
    interpreter's teardown would only wait for (or trip over) requests still in flight."""
    code = run_script(main)
    if code > 128:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def script_parser(description: str) -> argparse.ArgumentParser:
    return ScriptParser(description=description, formatter_class=HelpFormatter)


def common_parser(
    description: str, modes: Sequence[str] = MODES, task_format: str = "open"
) -> argparse.ArgumentParser:
    """The flags every inference script takes (the seed's spellings are accepted too);
    `task_format` is the script's default format (the authors' *_mcqa.py scripts: mcqa)."""
    p = script_parser(description)
    add_flag(
        p,
        "--inference_mode",
        choices=list(modes),
        default="ICL",
        help="0-shot (query only) or ICL (in-context examples first)",
    )
    add_flag(
        p,
        "--task_format",
        choices=list(TASK_FORMATS),
        default=task_format,
        help="open answers or multiple choice (mcqa)",
    )
    add_dataset_args(p, default="smmile", help="SMMILE, SMMILE++ (augmented) or the bundled offline demo")
    add_flag(
        p,
        "--image-fetch-budget",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="total time for fetching missing images (in parallel); what is not fetched by then is listed",
    )
    add_flag(
        p,
        "--output-dir",
        default="../results",
        help="results folder; the augmented dataset writes to <dir>_augmented, the demo to <dir>_demo",
    )
    p.add_argument(
        "--seed", type=int, default=42, help="seeds the MCQA option order and random draws, per problem"
    )
    p.add_argument("--limit", type=int, default=None, help="run only the first N problems (by id)")
    p.add_argument(
        "--shard",
        default=None,
        help="K/N: run shard K of N (default: from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT)",
    )
    p.add_argument(
        "--protocol",
        choices=["paper", "unified"],
        default="paper",
        help="paper: each model's paper profile; unified: one profile for every model",
    )
    p.add_argument(
        "--profile",
        default=None,
        metavar="MODEL_ID",
        help="prompt with the paper profile of MODEL_ID (e.g. claude-3-7-sonnet for another Claude); "
        "default: the model's own",
    )
    add_flag(
        p,
        "--max-error-rate",
        type=float,
        default=0.1,
        help="exit non-zero (after writing everything) when more than this share of problems failed",
    )
    p.add_argument(
        "--no-resume",
        "--no_resume",
        dest="resume",
        action="store_false",
        help="start over (the previous result file and its manifest are kept under a new .replaced-<time> name)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    add_ablation_args(p)
    return p


def add_ablation_args(p: argparse.ArgumentParser) -> None:
    """The robustness analyses (ICL only); the result file name carries them."""
    g = p.add_argument_group("ablations (ICL only; seeded per problem)")
    add_flag(
        g,
        "--icl-order",
        choices=ICL_ORDERS,
        default="given",
        help="order of the examples; relevant = those whose answer equals the query's",
    )
    add_flag(g, "--num-icl", type=int, default=None, help="keep K examples (the last K in the current order)")
    add_flag(g, "--num-icl-keep", choices=KEEP, default="last", help="which K examples --num-icl keeps")
    g.add_argument(
        "--irrelevant",
        type=int,
        default=0,
        help="add N examples from problems of another speciality (or image type)",
    )
    add_flag(
        g, "--irrelevant-position", choices=POSITIONS, default="end", help="where the irrelevant examples go"
    )
    add_flag(
        g,
        "--irrelevant-from",
        choices=IRRELEVANT_FROM,
        default="speciality",
        help="what must differ for an example to count as irrelevant",
    )


def add_dataset_args(p: argparse.ArgumentParser, default: str | None, help: str) -> None:
    """Where the problems come from: the hub, a local copy or the demo (and missing images)."""
    p.add_argument("--dataset", choices=["smmile", "augmented", "demo"], default=default, help=help)
    add_flag(
        p,
        "--dataset-path",
        help="a local copy: a save_to_disk folder, or a folder with data.jsonl / parquet and images",
    )
    add_flag(p, "--dataset-id", help="hub id overriding the default")
    add_flag(
        p,
        "--image-dir",
        default="../missing_images",
        help="images dropped in or fetched for rows whose image is missing",
    )
    add_flag(p, "--hf-cache-dir", default=None, help="Hugging Face cache folder (default: the library's)")


def add_result_filters(p: argparse.ArgumentParser, verb: str = "use") -> None:
    """--model / --inference-mode: which results of a folder a script reads."""
    p.add_argument("--model", action="append", help=f"{verb} only this model id (repeatable)")
    add_flag(
        p, "--inference-mode", choices=list(MODES), default=None, help=f"{verb} only this inference mode"
    )


def add_bootstrap_args(p: argparse.ArgumentParser) -> None:
    """--n-bootstrap (1000) and --seed (42) of the bootstrap, as the paper's."""
    add_flag(p, "--n-bootstrap", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=42, help="bootstrap seed")


def check_bootstrap_args(args: argparse.Namespace) -> None:
    if args.n_bootstrap < 1:
        raise UserError("--n-bootstrap must be at least 1")


def add_figure_args(p: argparse.ArgumentParser, what: str) -> None:
    """--figures-dir (default ../figures, or $SMMILE_FIGURES_DIR) and --no-figures."""
    add_flag(
        p,
        "--figures-dir",
        default=os.environ.get("SMMILE_FIGURES_DIR") or "../figures",
        help=f"where {what} go (default ../figures; the SMMILE_FIGURES_DIR environment variable changes it)",
    )
    p.add_argument("--no-figures", dest="figures", action="store_false", help="draw no figures")


def add_api_args(
    parser: argparse.ArgumentParser,
    base_url_flags: Sequence[str] = ("--base-url",),
    base_url_help: str = "an OpenAI-compatible server (vLLM, SGLang, ollama, LM Studio) or a proxy, "
    "e.g. http://node1:8000/v1",
) -> None:
    """The flags of the scripts that call an API: concurrency, retries, timeouts, server address.
    Their defaults are the RetryPolicy's (smmile/models/api/retry.py)."""
    from smmile.models.api.retry import RetryPolicy

    policy = RetryPolicy()
    count, positive, seconds = at_least(0, int), at_least(1, int), at_least(0.001, float)
    g = parser.add_argument_group("API requests")
    g.add_argument("--concurrency", type=positive, default=8, help="requests in flight at once")
    add_flag(
        g,
        "--max-retries",
        type=count,
        default=policy.max_retries,
        help="retries of a request that failed with 408/409/429/5xx, a timeout, a dropped connection or "
        "a reply that does not parse (exponential backoff with jitter; retry-after honoured)",
    )
    g.add_argument(
        "--timeout",
        type=seconds,
        default=policy.read_timeout_s,
        help="seconds to wait for the reply to one attempt",
    )
    add_flag(
        g,
        "--connect-timeout",
        type=seconds,
        default=policy.connect_timeout_s,
        help="seconds to wait for a connection to the server",
    )
    add_flag(
        g,
        "--total-timeout",
        type=seconds,
        default=policy.total_timeout_s,
        help="seconds one request may take in all, every attempt and wait included; then it is an error record",
    )
    add_flag(
        g,
        "--stop-after",
        type=positive,
        default=policy.stop_after,
        help="stop the run after this many requests in a row failed for authentication (401/403), "
        "not found (404) or no reply (records kept)",
    )
    if base_url_flags:
        g.add_argument(*base_url_flags, dest="base_url", default=None, help=base_url_help)


def add_name_arg(parser: argparse.ArgumentParser | argparse._ArgumentGroup, default: str) -> None:
    """--name: the result id (file names), so one family can hold several checkpoints or settings.
    A script that declared its own --name keeps it."""
    if "--name" in parser._option_string_actions:
        return
    parser.add_argument(
        "--name",
        default=None,
        help=f"result id, e.g. qwen7B-finetuned (letters, digits, . _ + -); unset: {default}",
    )


def add_models_arg(
    parser: argparse.ArgumentParser, choices: Sequence[str], default: list[str], help: str
) -> None:
    """Which of a family's models to run: --models or --model_name (the authors' README uses both)."""
    parser.add_argument(
        "--models",
        "--model_name",
        "--model-name",
        dest="models",
        nargs="+",
        choices=choices,
        default=default,
        help=help,
    )


def add_checkpoint_args(parser: argparse.ArgumentParser) -> None:
    """Which checkpoint inference_hf.py runs: a hub id (and revision) or a folder, and its result id."""
    parser.add_argument(
        "--model",
        "--model_name",
        "--model-name",
        dest="model",
        default=None,
        metavar="HUB_ID",
        help="the checkpoint's hub id, e.g. OWNER/NAME (with --model-path: recorded as its origin)",
    )
    parser.add_argument("--revision", default=None, help="hub branch, tag or commit of --model")
    parser.add_argument(
        "--name", default=None, help="result id (file names); default: the last part of --model"
    )
    add_flag(
        parser,
        "--trust-remote-code",
        action="store_true",
        help="run the Python code a checkpoint ships (only for checkpoints you trust)",
    )


def add_local_model_args(parser: argparse.ArgumentParser) -> None:
    """The flags of the scripts that run a model locally through transformers."""

    positive = at_least(1, int, "a whole number")
    g = parser.add_argument_group("local model (transformers)")
    add_name_arg(g, "the selected model's id (its paper profile is kept unless --profile)")
    add_flag(
        g,
        "--model-path",
        default=None,
        help="load the selected model from this local folder instead of its hub id (the result keeps "
        "the model's id); needs exactly one selected model",
    )
    add_flag(
        g,
        "--gpu-devices",
        default=None,
        help="GPUs to use, e.g. 0,1 (sets CUDA_VISIBLE_DEVICES; default: all visible); the model is "
        "spread over them with device_map=auto",
    )
    add_flag(
        g,
        "--batch-size",
        type=positive,
        default=1,
        help="prompts per generate call (left-padded, sorted by length)",
    )
    add_flag(
        g,
        "--max-new-tokens",
        type=positive,
        default=512,
        help="greedy decoding stops after this many new tokens",
    )
    g.add_argument(
        "--dtype",
        choices=list(DTYPES),
        default="auto",
        help="auto: on GPU the paper's dtype of the family (bfloat16 Qwen/Llama/MedGemma/MedVLM-R1, "
        "float16 LLaVA family; inference_hf.py: the checkpoint's own), float32 on CPU",
    )
    add_flag(
        g,
        "--attn-implementation",
        choices=list(ATTN_IMPLEMENTATIONS),
        default="auto",
        help="auto: flash_attention_2 when flash-attn is installed (GPU, half precision), else sdpa",
    )


def family_script(
    doc: str, models: LocalModel | ModelChoice, module: str, task_format: str = "open"
) -> Callable[..., int]:
    """The main() of a local-model script, declared by its docstring (the first paragraph is its
    --help description) and its family's models: one, or a --models choice. It runs at once when
    `module` is "__main__" (the script is run, not imported)."""

    def main(argv: Sequence[str] | None = None, task_format: str = task_format) -> int:
        parser = common_parser(doc.split("\n\n")[0], task_format=task_format)
        if isinstance(models, ModelChoice):
            add_models_arg(parser, models.choices, list(models.default), models.help)
        add_local_model_args(parser)
        args = parser.parse_args(argv)
        chosen, notes = models.pick(args.models) if isinstance(models, ModelChoice) else ([models], [])
        for line in notes:
            note(line)
        return run_models(args, local_specs(args, chosen))

    if module == "__main__":
        run_main(main)
    return main


def mcqa_script(main: Callable[..., int], module: str) -> Callable[..., int]:
    """The main() of one of the authors' *_mcqa.py names: `main` with --task_format mcqa by default
    (every flag of its script applies). It runs at once when `module` is "__main__"."""
    mcqa_main = functools.partial(main, task_format="mcqa")
    if module == "__main__":
        run_main(mcqa_main)
    return mcqa_main
