"""Prepare once, run offline: download the datasets and fetch every missing image.

    python prepare_data.py --dataset smmile augmented [--hf-cache-dir DIR] [--image-dir DIR]
        [--image-fetch-budget SECONDS] [--timeout SECONDS]

Run on a machine with internet (a login node). It loads each dataset from the Hugging Face hub
into the cache, as the inference scripts do, and fetches every image a row lacks into the image
folder (named as the inference scripts look for it). Then it prints what an offline job needs
(HF_HUB_OFFLINE=1, the cache and the image folder) and lists the images it could not get, with
the name each must have in the image folder. Exit status 1 when some image is still missing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from smmile.data.fetch import FETCH_TIMEOUT_S
from smmile.data.images import cache_name
from smmile.data.loading import LoadedDataset, load_dataset_problems
from smmile.data.sources import HUB_IDS, resolve_source
from smmile.errors import UserError
from smmile.hub import hub_offline
from utils import run_main, script_parser

NAMES = {"smmile": "SMMILE", "augmented": "SMMILE++"}
PREPARE_BUDGET_S = 600.0  # a login node has time: ten times a run's budget


def default_cache() -> Path:
    """The cache the datasets library uses when no --hf-cache-dir is given."""
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE)


def describe(name: str, loaded: LoadedDataset) -> str:
    revision = f", revision {loaded.revision[:12]}" if loaded.revision else ""
    head = f"{NAMES[name]} ({loaded.dataset_id}{revision}): {len(loaded.problems)} problem(s) ready"
    if not loaded.skipped:
        return head + ", every image present"
    return head + f"; {len(loaded.skipped)} problem(s) lack an image that could not be fetched (below)"


def job_lines(cache: Path, cache_given: bool, image_dir: Path) -> list[str]:
    cache_line = (
        f"  and pass --hf-cache-dir {cache} to the inference scripts"
        if cache_given
        else f"  the cache is the default one, {cache}: the job must see the same HF_HOME / HF_DATASETS_CACHE"
    )
    return [
        "",
        "An offline job (e.g. a SLURM job on a GPU node) needs:",
        "  export HF_HUB_OFFLINE=1",
        cache_line,
        f"  and --image-dir {image_dir} (the default from inference_and_evaluation/ is ../missing_images)",
    ]


def missing_lines(missing: dict[str, LoadedDataset], image_dir: Path) -> list[str]:
    lines = [
        "",
        f"Images that could not be fetched: save each into {image_dir} under the name shown, then re-run:",
    ]
    for name, loaded in missing.items():
        for pid, urls in sorted(loaded.skipped.items()):
            for url in urls:
                target = cache_name(url) if "://" in url else "(no image_url: fix the dataset row)"
                why = loaded.missing_images.get(url)
                lines.append(f"  {NAMES[name]} {pid}: {url} -> {target}" + (f" ({why})" if why else ""))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset",
        nargs="+",
        choices=sorted(HUB_IDS),
        default=["smmile"],
        help="the datasets to prepare: smmile (SMMILE), augmented (SMMILE++)",
    )
    parser.add_argument(
        "--dataset-id",
        "--dataset_id",
        dest="dataset_id",
        help="hub id overriding the default (one --dataset only)",
    )
    parser.add_argument(
        "--image-dir",
        "--image_dir",
        dest="image_dir",
        default="../missing_images",
        help="where the images of rows without one are saved",
    )
    parser.add_argument(
        "--hf-cache-dir",
        "--hf_cache_dir",
        dest="hf_cache_dir",
        default=None,
        help="Hugging Face cache folder (the library's when not given)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=FETCH_TIMEOUT_S,
        metavar="SECONDS",
        help="time to wait for each image",
    )
    parser.add_argument(
        "--image-fetch-budget",
        "--image_fetch_budget",
        dest="image_fetch_budget",
        type=float,
        default=PREPARE_BUDGET_S,
        metavar="SECONDS",
        help="total time for fetching the missing images of each dataset (in parallel); what is not "
        "fetched by then is listed",
    )
    args = parser.parse_args(argv)
    if hub_offline():
        raise UserError(
            "HF_HUB_OFFLINE is set: prepare_data.py downloads; run it without it, where there is internet"
        )
    names = list(dict.fromkeys(args.dataset))
    if args.dataset_id and len(names) > 1:
        raise UserError("--dataset-id names one dataset: give a single --dataset with it")

    image_dir = Path(args.image_dir).expanduser().resolve()
    cache = Path(args.hf_cache_dir).expanduser().resolve() if args.hf_cache_dir else default_cache()
    missing: dict[str, LoadedDataset] = {}
    for name in names:
        loaded = load_dataset_problems(
            resolve_source(name, args.dataset_id),
            image_dir=image_dir,
            hf_cache_dir=str(cache) if args.hf_cache_dir else None,
            fetch_missing=True,
            fetch_timeout=args.timeout,
            fetch_budget=args.image_fetch_budget,
        )
        for note in loaded.image_notes:
            print(note, file=sys.stderr)
        print(describe(name, loaded))
        if loaded.skipped:
            missing[name] = loaded
    lines = job_lines(cache, bool(args.hf_cache_dir), image_dir)
    if missing:
        lines += missing_lines(missing, image_dir)
    print("\n".join(lines))
    return 1 if missing else 0


if __name__ == "__main__":
    run_main(main)
