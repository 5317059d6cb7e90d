"""Load SMMILE problems from the Hub, a local copy, or the bundled demo.

A source is read into rows (``sources``), the rows are checked (``validation``), images the rows
lack are filled from an image folder or fetched from ``image_url`` (``fetch``), and the rows become
problems (``problems``); a problem still missing an image is left out and its URLs are reported
in ``LoadedDataset.skipped``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smmile.data.fetch import FETCH_BUDGET_S, FETCH_TIMEOUT_S, resolve_missing_images
from smmile.data.problems import images_needed, to_problems
from smmile.data.sources import DatasetSource, read_rows
from smmile.data.validation import check_rows
from smmile.types import Problem


@dataclass
class LoadedDataset:
    """Problems sorted by id, plus the problems left out for missing images (id -> URLs)."""

    problems: list[Problem]
    skipped: dict[str, list[str]] = field(default_factory=dict)
    dataset_id: str = ""
    revision: str | None = None  # hub commit sha when known; sha256 of the data file(s) for local copies
    name: str = ""
    missing_images: dict[str, str] = field(default_factory=dict)  # image URL -> why it is missing
    image_notes: list[str] = field(default_factory=list)  # refused image files, the fetch budget


def load_dataset_problems(
    source: DatasetSource,
    image_dir: Path | None = None,
    hf_cache_dir: str | None = None,
    fetch_missing: bool = True,
    fetch_timeout: float = FETCH_TIMEOUT_S,
    fetch_budget: float = FETCH_BUDGET_S,
) -> LoadedDataset:
    """Load the problems of `source`, resolving missing images (nothing is printed): fetched in
    parallel, `fetch_timeout` seconds per image, `fetch_budget` seconds in all."""
    read = read_rows(source, hf_cache_dir)
    check_rows(read.rows, read.origin)  # before any image is fetched
    needed = images_needed(read.rows)
    images = resolve_missing_images(
        needed.missing,
        image_dir,
        fetch=fetch_missing,
        budget=fetch_budget,
        timeout=fetch_timeout,
        dataset_urls=needed.dataset_urls,
    )
    problems, skipped = to_problems(read.rows, read.columns, source.name, read.origin, images.images)
    return LoadedDataset(
        problems=problems,
        skipped=skipped,
        dataset_id=source.dataset_id,
        revision=read.revision,
        name=source.name,
        missing_images=images.missing,
        image_notes=images.notes,
    )
