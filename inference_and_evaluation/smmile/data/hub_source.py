"""Rows from the Hugging Face Hub: one quick access check, then `datasets.load_dataset`; a
dataset that is missing, gated or unreachable stops the load with one line and what to do."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from smmile.data.rows import SourceRows, dataset_rows, missing_columns, one_line, undecoded
from smmile.errors import UserError
from smmile.hub import hub_offline

LOCAL_HINT = "or use --dataset-path PATH (a local copy) or --dataset demo"
HUB_HINT = (
    f"set HF_TOKEN to a token whose account has accepted the dataset's terms on huggingface.co, {LOCAL_HINT}"
)
OFFLINE_HINT = f"HF_HUB_OFFLINE is set and the dataset is not in the cache: load it once online, {LOCAL_HINT}"


def hub_rows(dataset_id: str, cache_dir: str | None) -> SourceRows:
    """The rows of the hub dataset `dataset_id` (its train split), through the local cache."""
    from smmile.hub import check_access, describe_hub_error  # read at call time (tests replace them)

    try:  # one quick request: unreachable, unauthorised or gated, before any retrying download
        check_access(dataset_id, "dataset")
    except UserError as exc:
        raise UserError(_with_local_hint(str(exc))) from None
    import datasets  # after the check: importing it takes seconds

    try:
        ds = datasets.load_dataset(
            dataset_id, split="train", token=os.environ.get("HF_TOKEN") or None, cache_dir=cache_dir
        )
    except Exception as exc:
        if not _is_access_error(exc):
            raise
        described = describe_hub_error(exc, dataset_id, "dataset")
        if described is not None:
            raise UserError(_with_local_hint(described)) from exc
        hint = OFFLINE_HINT if hub_offline() else HUB_HINT
        raise UserError(
            f"cannot load {dataset_id} from the Hugging Face Hub ({one_line(exc)}); {hint}"
        ) from exc
    missing = missing_columns(ds.column_names)
    if missing:
        raise UserError(f"dataset {dataset_id} lacks the column(s) {', '.join(missing)}")
    ds = undecoded(ds)
    return SourceRows(dataset_rows(ds, None), list(ds.column_names), hub_revision(ds), dataset_id)


def _with_local_hint(line: str) -> str:
    return line if "--dataset-path" in line else f"{line}; {LOCAL_HINT}"


def _is_access_error(exc: Exception) -> bool:
    """A missing, gated or unreachable dataset (including offline without a cached copy)."""
    from datasets.exceptions import DatasetNotFoundError
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    return isinstance(
        exc, (DatasetNotFoundError, HfHubHTTPError, LocalEntryNotFoundError, ConnectionError, PermissionError)
    )


def hub_revision(ds: Any) -> str | None:
    """The commit sha in the cache path of a hub dataset (datasets caches under .../<sha>/...)."""
    for cache_file in getattr(ds, "cache_files", None) or []:
        for part in reversed(Path(cache_file.get("filename", "")).parts):
            if re.fullmatch(r"[0-9a-f]{40}", part):
                return part
    return None
