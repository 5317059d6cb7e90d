"""The dataset an analysis script reads flags or examples from: loaded as a run loads it, except
that nothing is fetched (missing images stay missing; their problems are left out)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from smmile.data.loading import LoadedDataset, load_dataset_problems
from smmile.data.sources import resolve_source
from smmile.errors import UserError


class DatasetFlags(Protocol):
    """The dataset flags of a script (`add_dataset_args`), as parsed."""

    dataset: str | None
    dataset_path: str | None
    dataset_id: str | None
    image_dir: str | None
    hf_cache_dir: str | None


def load_reference_dataset(
    args: DatasetFlags, purpose: str, dataset: str | None = None, dataset_path: str | None = None
) -> LoadedDataset | None:
    """The dataset named by a script's dataset flags, to read `purpose` from (its flags, its
    examples), or None when neither --dataset nor --dataset-path names one; `dataset` /
    `dataset_path`, when given, stand for those two. A load that fails says what it was for."""
    dataset = dataset if dataset is not None else args.dataset
    dataset_path = dataset_path if dataset_path is not None else args.dataset_path
    if dataset is None and dataset_path is None:
        return None
    source = resolve_source(dataset or "smmile", args.dataset_id, dataset_path)
    try:
        return load_dataset_problems(
            source,
            image_dir=Path(args.image_dir) if args.image_dir else None,
            hf_cache_dir=args.hf_cache_dir,
            fetch_missing=False,
        )
    except UserError as exc:
        raise UserError(f"cannot read {purpose} from the dataset: {exc}") from None
