"""The runs an inference script asks for: its flags checked, the dataset loaded, each model run in
turn, and a summary line per model.

A script declares its models (`ModelSpec`s) and hands its parsed flags here. What the person running
it should read goes to stderr through `note`; the summary lines go to stdout.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smmile.ablations import Ablation
from smmile.errors import Interrupted, UserError
from smmile.redaction import redact

if TYPE_CHECKING:  # the run machinery is imported when a run starts
    from smmile.data import LoadedDataset
    from smmile.models.base import ModelSpec
    from smmile.prompts import Profile
    from smmile.runner import RunConfig, RunSummary

EXIT_TOO_MANY_ERRORS = 3
COMMON_ERROR_CHARS = 240  # the most common error, as the summary line quotes it


def note(line: str) -> None:
    """A line for the person running the script (stderr: stdout keeps the summary lines)."""
    print(line, file=sys.stderr)


def output_dir_for(output_dir: str, dataset: str) -> Path:
    """SMMILE++ results go to <dir>_augmented and the demo's to <dir>_demo, as the seed's layout."""
    base = Path(output_dir)
    suffix = {"augmented": "_augmented", "demo": "_demo"}.get(dataset, "")
    return base.with_name(base.name + suffix) if suffix else base


def ablation_for(args: argparse.Namespace) -> Ablation:
    """The ablation the flags ask for; one needs --inference_mode ICL."""
    ablation = Ablation(
        icl_order=getattr(args, "icl_order", "given"),
        num_icl=getattr(args, "num_icl", None),
        num_icl_keep=getattr(args, "num_icl_keep", "last"),
        irrelevant=getattr(args, "irrelevant", 0),
        irrelevant_position=getattr(args, "irrelevant_position", "end"),
        irrelevant_from=getattr(args, "irrelevant_from", "speciality"),
    )
    if ablation.active and args.inference_mode != "ICL":
        raise UserError(
            f"{ablation.tag()}: ablations change the in-context examples; they need --inference_mode ICL"
        )
    return ablation


def check_profile_name(name: str | None) -> None:
    from smmile.prompts import PAPER_PROFILES

    if name is not None and name not in PAPER_PROFILES:
        raise UserError(f"--profile {name!r}: no such paper profile; choose from {', '.join(PAPER_PROFILES)}")


def profile_for(args: argparse.Namespace, model_id: str) -> Profile:
    """The profile a run of `model_id` is prompted with (`--profile` and `--protocol` applied)."""
    from smmile.prompts import get_profile

    check_profile_name(getattr(args, "profile", None))
    return get_profile(getattr(args, "profile", None) or model_id, args.protocol)


def skipped_problems_notes(dataset: LoadedDataset, image_dir: str | None, offline: bool) -> list[str]:
    """What to tell about the problems skipped for missing images: where to put which image."""
    from smmile.data.images import cache_name

    if not dataset.skipped:
        return []
    what = "Run prepare_data.py where there is internet, or download these" if offline else "Download these"
    lines = [
        f"{len(dataset.skipped)} problem(s) skipped: images missing. {what} into "
        f"{image_dir} (each under the name shown, or named after the URL's last segment when no "
        "other image URL ends the same) and re-run:"
    ]
    for pid, urls in sorted(dataset.skipped.items()):
        for url in urls:
            why = dataset.missing_images.get(url)
            name = f" -> {cache_name(url)}" if "://" in url else ""
            lines.append(f"  {pid}: {url}{name}" + (f" ({why})" if why else ""))
    return lines


def load_dataset_for(args: argparse.Namespace) -> LoadedDataset:
    """The problems of a run. With HF_HUB_OFFLINE=1 no image is fetched: the image folder has them
    (prepare_data.py fills it on a machine with internet)."""
    from smmile.data import load_dataset_problems, resolve_source
    from smmile.data.fetch import FETCH_BUDGET_S
    from smmile.hub import hub_offline

    source = resolve_source(args.dataset, args.dataset_id, args.dataset_path)
    image_dir = Path(args.image_dir) if args.image_dir else None
    offline = hub_offline()
    dataset = load_dataset_problems(
        source,
        image_dir=image_dir,
        hf_cache_dir=args.hf_cache_dir,
        fetch_missing=not offline,
        fetch_budget=getattr(args, "image_fetch_budget", FETCH_BUDGET_S),
    )
    for line in [*dataset.image_notes, *skipped_problems_notes(dataset, args.image_dir, offline)]:
        note(line)
    return dataset


def config_for(
    args: argparse.Namespace, spec: ModelSpec, dataset: LoadedDataset, profile: Profile, **extra: Any
) -> RunConfig:
    """The run of `spec` the flags ask for, prompted with `profile` (refused in one line where the
    flags do not add up); its generation settings are the profile's, as the script changes them."""
    from smmile.models.base import GenerationConfig
    from smmile.runner import RunConfig
    from smmile.sharding import parse_shard, shard_from_env

    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    if not 0.0 <= args.max_error_rate <= 1.0:
        raise UserError("--max-error-rate must lie between 0 and 1")
    shard = parse_shard(args.shard) if args.shard else shard_from_env()
    ablation = ablation_for(args)
    return RunConfig(
        model=spec.model_id,
        inference_mode=args.inference_mode,
        task_format=args.task_format,
        output_dir=output_dir_for(args.output_dir, args.dataset),
        dataset_id=dataset.dataset_id,
        seed=args.seed,
        protocol=args.protocol,
        profile=getattr(args, "profile", None) or spec.profile,
        limit=args.limit,
        shard=shard,
        max_error_rate=args.max_error_rate,
        resume=args.resume,
        progress=args.progress,
        ablation=ablation,
        extra=extra,
        prompting=profile,
        generation=GenerationConfig.of(profile, **spec.generation),
    )


def report(summary: RunSummary) -> str:
    """The lines a finished run prints: its notes, then what it wrote and how it went."""
    line = (
        f"{summary.path}: {summary.ok} ok, {summary.errors} error(s) of {summary.selected} problems "
        f"({summary.attempted} run now, {summary.already_done} already done) in {summary.elapsed_seconds:.1f} s"
    )
    if summary.common_error:
        count, message = summary.common_error
        short = message if len(message) <= COMMON_ERROR_CHARS else message[: COMMON_ERROR_CHARS - 3] + "..."
        line += f"; {summary.errors} errors, most common ({count}): {redact(short)}"
    return "\n".join([*summary.notes, line])


def run_models(args: argparse.Namespace, models: Sequence[ModelSpec], **extra: Any) -> int:
    """Run each model on the dataset; exit 3 if a model's error share passed --max-error-rate."""
    from smmile.io import writable_folder
    from smmile.runner import check_before_loading, problems_to_run, run_model

    profiles = [profile_for(args, spec.profile or spec.model_id) for spec in models]  # once per run
    for spec, profile in zip(models, profiles, strict=True):
        if spec.check_profile is not None:
            spec.check_profile(profile)
    dataset = load_dataset_for(args)
    status = 0
    for spec, profile in zip(models, profiles, strict=True):
        config = config_for(args, spec, dataset, profile, **extra)
        problems_to_run(config, dataset)  # refused here, before a model is loaded or a request sent
        writable_folder(config.output_dir)
        check_before_loading(config, dataset)
        backend = spec.make_backend(config.generation)
        try:
            summary = run_model(config, dataset, backend)
        except KeyboardInterrupt as exc:  # name the file that keeps what was written
            raise Interrupted(getattr(exc, "signum", signal.SIGINT), config.result_path) from None
        finally:
            backend.close()
        print(report(summary))
        if summary.error_rate > config.max_error_rate:
            note(
                f"error: {summary.errors}/{summary.selected} problems failed for {spec.model_id} "
                f"(more than --max-error-rate {config.max_error_rate}); re-run to retry them"
            )
            status = EXIT_TOO_MANY_ERRORS
    return status
