"""Dataset rows as every source hands them on: the hub's column layout, one dict per
question-image-answer triplet with its image as an ImageRef (or None), and where the row was read
(``_where``: "line 3", "row 7") for the error lines."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smmile.data.validation import image_bytes, image_inside
from smmile.types import ImageRef

REQUIRED_COLUMNS: tuple[str, ...] = ("problem_id", "order", "question", "answer", "image")
FLAG_COLUMNS: tuple[str, ...] = (
    "flag_answer_format",
    "flag_image_type",
    "flag_cognitive_process",
    "flag_rarity",
    "flag_difficulty_llms",
)


@dataclass
class SourceRows:
    """The rows of one source, its columns (first seen first), its revision and its origin."""

    rows: list[dict]
    columns: list[str]
    revision: str | None  # hub commit sha when known; sha256 of the data file(s) for local copies
    origin: str  # what error lines name: the hub id, the data file or the folder


def missing_columns(columns: Iterable[str]) -> list[str]:
    """The required columns that `columns` lacks, in the hub's order."""
    present = set(columns)
    return [c for c in REQUIRED_COLUMNS if c not in present]


def one_line(exc: Exception) -> str:
    """An exception as one short line: its type and its message, blanks folded, cut at 200."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def undecoded(ds: Any) -> Any:
    """A datasets.Dataset whose image column reads as {bytes, path}, not as decoded pictures."""
    import datasets

    if isinstance(ds.features.get("image"), datasets.Image):
        ds = ds.cast_column("image", datasets.Image(decode=False))
    return ds


def dataset_rows(ds: Any, folder: Path | None) -> list[dict]:
    """Rows of an `undecoded` datasets.Dataset, each image -> ImageRef | None.

    Identical images share one ImageRef, so a dataset that repeats its images (SMMILE++) holds
    each one in memory once.
    """
    interned: dict[str, ImageRef] = {}
    rows = []
    for number, row in enumerate(ds):
        row = dict(row)
        row["_where"] = f"row {number}"
        row["image"] = _dataset_image(row["image"], folder, interned, row["_where"])
        rows.append(row)
    return rows


def _dataset_image(
    value: Any, folder: Path | None, interned: dict[str, ImageRef], where: str
) -> ImageRef | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        data: bytes | None = value
    elif isinstance(value, dict):
        data = value.get("bytes")
        if data:
            data = image_bytes(data, folder or "the dataset", where)
        if not data and value.get("path") and folder is not None:
            path = image_inside(folder, value["path"], folder, where)
            if path.is_file():
                return ImageRef.from_path(path)
    else:
        data = None
    if not data:
        return None
    ref = ImageRef.from_bytes(data)
    return interned.setdefault(ref.sha256, ref)


def sha256_files(files: Iterable[Path]) -> str:
    """One digest of the files' names and contents (a local copy's revision)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
