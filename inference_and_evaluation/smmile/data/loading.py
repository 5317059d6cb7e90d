"""Load SMMILE problems from the Hub, a local copy, or the bundled demo.

Rows (one per question-image-answer triplet) are grouped by ``problem_id`` and sorted by
``order``; the last row is the query, the others are the in-context examples. Rows without an
image are filled from an image folder or fetched from ``image_url`` (see ``images.py``); a
problem still missing an image is left out and its URLs are reported in ``LoadedDataset.skipped``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smmile.data.fetch import FETCH_BUDGET_S, FETCH_TIMEOUT_S, ImageResolution, resolve_missing_images
from smmile.data.validation import check_rows, image_bytes, image_inside, order_number
from smmile.errors import FileProblem, UserError
from smmile.hub import hub_offline
from smmile.types import ImageRef, Problem, Triplet

HUB_IDS: dict[str, str] = {"smmile": "smmile/SMMILE", "augmented": "smmile/SMMILE-plusplus"}
DATASET_NAMES: tuple[str, ...] = ("smmile", "augmented", "demo", "local")
DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_ID = "smmile-demo"
REQUIRED_COLUMNS: tuple[str, ...] = ("problem_id", "order", "question", "answer", "image")
FLAG_COLUMNS: tuple[str, ...] = (
    "flag_answer_format",
    "flag_image_type",
    "flag_cognitive_process",
    "flag_rarity",
    "flag_difficulty_llms",
)
_LOCAL_HINT = "or use --dataset-path PATH (a local copy) or --dataset demo"
HUB_HINT = (
    f"set HF_TOKEN to a token whose account has accepted the dataset's terms on huggingface.co, {_LOCAL_HINT}"
)
OFFLINE_HINT = (
    f"HF_HUB_OFFLINE is set and the dataset is not in the cache: load it once online, {_LOCAL_HINT}"
)


@dataclass(frozen=True)
class DatasetSource:
    """Where problems come from. `name` goes into every Problem and may name output folders."""

    name: str  # "smmile" | "augmented" | "demo" | "local"
    dataset_id: str
    path: Path | None = None


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


def resolve_source(
    dataset: str = "smmile", dataset_id: str | None = None, dataset_path: str | None = None
) -> DatasetSource:
    """The source named by the command-line flags.

    `dataset_path` selects a local copy. Its name is "augmented" when `dataset` is "augmented"
    (so SMMILE++ results keep their own output folder) and "local" otherwise; its id is
    `dataset_id` when given, else the folder.
    """
    if dataset not in DATASET_NAMES:
        raise UserError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASET_NAMES)}")
    if dataset_path is not None:
        if dataset == "demo":
            raise UserError("--dataset demo and --dataset-path exclude each other: pick one")
        path = Path(dataset_path).expanduser()
        name = "augmented" if dataset == "augmented" else "local"
        return DatasetSource(name=name, dataset_id=dataset_id or str(path), path=path)
    if dataset == "demo":
        return DatasetSource(name="demo", dataset_id=dataset_id or DEMO_ID, path=DEMO_DIR)
    if dataset == "local":
        raise UserError("--dataset local needs --dataset-path PATH")
    return DatasetSource(name=dataset, dataset_id=dataset_id or HUB_IDS[dataset])


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
    if source.path is None:
        rows, columns, revision, origin = _load_hub(source.dataset_id, hf_cache_dir)
    else:
        rows, columns, revision, origin = _load_local(source.path)
    check_rows(rows, origin)  # before any image is fetched
    images = _missing_images(rows, image_dir, fetch_missing, fetch_budget, fetch_timeout)
    problems, skipped = _to_problems(rows, columns, source.name, origin, images.images)
    return LoadedDataset(
        problems=problems,
        skipped=skipped,
        dataset_id=source.dataset_id,
        revision=revision,
        name=source.name,
        missing_images=images.missing,
        image_notes=images.notes,
    )


# --- the Hub -------------------------------------------------------------------------------------


def _load_hub(dataset_id: str, cache_dir: str | None) -> tuple[list[dict], list[str], str | None, str]:
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
            f"cannot load {dataset_id} from the Hugging Face Hub ({_one_line(exc)}); {hint}"
        ) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in ds.column_names]
    if missing:
        raise UserError(f"dataset {dataset_id} lacks the column(s) {', '.join(missing)}")
    if isinstance(ds.features.get("image"), datasets.Image):
        ds = ds.cast_column("image", datasets.Image(decode=False))
    return _rows_with_images(ds, None), list(ds.column_names), _hub_revision(ds), dataset_id


def _with_local_hint(line: str) -> str:
    return line if "--dataset-path" in line else f"{line}; {_LOCAL_HINT}"


def _is_access_error(exc: Exception) -> bool:
    """A missing, gated or unreachable dataset (including offline without a cached copy)."""
    from datasets.exceptions import DatasetNotFoundError
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    return isinstance(
        exc, (DatasetNotFoundError, HfHubHTTPError, LocalEntryNotFoundError, ConnectionError, PermissionError)
    )


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _hub_revision(ds: Any) -> str | None:
    """The commit sha in the cache path of a hub dataset (datasets caches under .../<sha>/...)."""
    for cache_file in getattr(ds, "cache_files", None) or []:
        for part in reversed(Path(cache_file.get("filename", "")).parts):
            if re.fullmatch(r"[0-9a-f]{40}", part):
                return part
    return None


# --- local copies ----------------------------------------------------------------------------------


def _load_local(path: Path) -> tuple[list[dict], list[str], str, str]:
    if path.is_dir():
        folder, files = path, []
    elif path.is_file() and path.suffix in (".jsonl", ".parquet"):
        folder, files = path.parent, [path]
    elif path.exists():
        raise FileProblem(path, "not a dataset folder, .jsonl or .parquet file")
    else:
        raise FileProblem(path, "no such dataset folder")
    if not files and ((folder / "dataset_info.json").is_file() or (folder / "dataset_dict.json").is_file()):
        return _load_saved(folder)
    if not files:
        if (folder / "data.jsonl").is_file():
            files = [folder / "data.jsonl"]
        elif (folder / "data.parquet").is_file():
            files = [folder / "data.parquet"]
        else:
            files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileProblem(
            folder, "no dataset found: expected a save_to_disk folder, data.jsonl, data.parquet or *.parquet"
        )
    rows: list[dict] = []
    columns: list[str] = []
    for file in files:
        file_rows, file_columns = _read_jsonl(file) if file.suffix == ".jsonl" else _read_parquet(file)
        columns += [c for c in file_columns if c not in columns]
        rows += [_with_local_image(row, folder, file) for row in file_rows]
    return rows, columns, _sha256_files(files), str(files[0] if len(files) == 1 else folder)


def _read_jsonl(file: Path) -> tuple[list[dict], list[str]]:
    data = file.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(file, f"line {line}: not UTF-8 text (byte {exc.start})") from None
    rows: list[dict] = []
    columns: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileProblem(
                file, f"line {number}: malformed JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(row, dict):
            raise FileProblem(file, f"line {number}: expected a JSON object, got {type(row).__name__}")
        missing = [c for c in REQUIRED_COLUMNS if c not in row]
        if missing:
            raise FileProblem(file, f"line {number}: missing required column(s) {', '.join(missing)}")
        row["_where"] = f"line {number}"
        columns += [c for c in row if c not in columns and c != "_where"]
        rows.append(row)
    if not rows:
        raise FileProblem(file, "no rows")
    return rows, columns


def _read_parquet(file: Path) -> tuple[list[dict], list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as exc:
        raise FileProblem(file, f"unreadable parquet file ({_one_line(exc)})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise FileProblem(file, f"missing required column(s) {', '.join(missing)}")
    if table.num_rows == 0:
        raise FileProblem(file, "no rows")
    rows = table.to_pylist()
    for number, row in enumerate(rows):
        row["_where"] = f"row {number}"
    return rows, list(table.column_names)


def _with_local_image(row: dict, folder: Path, file: Path) -> dict:
    """Replace a row's image (a relative path, a data URL, or hub-style {bytes, path} with bytes
    raw or as base64 text) with an ImageRef or None."""
    value = row["image"]
    if isinstance(value, dict):
        if value.get("bytes"):
            row["image"] = ImageRef.from_bytes(image_bytes(value["bytes"], file, row["_where"]))
            return row
        value = value.get("path")
    if isinstance(value, str) and value.startswith("data:image/"):  # an inline data URL
        row["image"] = ImageRef.from_bytes(image_bytes(value, file, row["_where"]))
        return row
    if value is None or (isinstance(value, float) and math.isnan(value)):
        row["image"] = None
        return row
    if not isinstance(value, str) or not value:
        raise FileProblem(file, f"{row['_where']}: image must be a file path or null, got {value!r}")
    image_path = image_inside(folder, value, file, row["_where"])
    if not image_path.is_file():
        raise FileProblem(file, f"{row['_where']}: image file {value} not found in {folder}")
    row["image"] = ImageRef.from_path(image_path)
    return row


def _load_saved(folder: Path) -> tuple[list[dict], list[str], str, str]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(folder))
    except Exception as exc:
        raise FileProblem(folder, f"unreadable save_to_disk folder ({_one_line(exc)})") from None
    if isinstance(ds, datasets.DatasetDict):
        if "train" not in ds:
            raise FileProblem(folder, f"no 'train' split (found: {', '.join(ds) or 'none'})")
        ds = ds["train"]
    missing = [c for c in REQUIRED_COLUMNS if c not in ds.column_names]
    if missing:
        raise FileProblem(folder, f"missing required column(s) {', '.join(missing)}")
    if len(ds) == 0:
        raise FileProblem(folder, "no rows")
    if isinstance(ds.features.get("image"), datasets.Image):
        ds = ds.cast_column("image", datasets.Image(decode=False))
    files = sorted({Path(f["filename"]) for f in ds.cache_files}) or sorted(folder.rglob("*.arrow"))
    return _rows_with_images(ds, folder), list(ds.column_names), _sha256_files(files), str(folder)


def _rows_with_images(ds: Any, folder: Path | None) -> list[dict]:
    """Rows of a datasets.Dataset whose image column is undecoded ({bytes, path}) -> ImageRef | None.

    Identical images share one ImageRef, so a dataset that repeats its images (SMMILE++) holds
    each one in memory once.
    """
    interned: dict[str, ImageRef] = {}
    rows = []
    for number, row in enumerate(ds):
        row = dict(row)
        row["_where"] = f"row {number}"
        row["image"] = _hub_image(row["image"], folder, interned, row["_where"])
        rows.append(row)
    return rows


def _hub_image(value: Any, folder: Path | None, interned: dict[str, ImageRef], where: str) -> ImageRef | None:
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


def _sha256_files(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


# --- rows -> problems --------------------------------------------------------------------------------


def _none_if_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _text(value: Any) -> str:
    value = _none_if_nan(value)
    return "" if value is None else str(value)


def _row_url(row: dict) -> str | None:
    url = _none_if_nan(row.get("image_url"))
    return str(url) if url else None


def _missing_images(
    rows: list[dict], image_dir: Path | None, fetch: bool, budget: float, timeout: float
) -> ImageResolution:
    """The images of the rows that lack one, from the image folder or fetched (all at once)."""
    needed: dict[str, list[str]] = {}
    urls = [url for url in map(_row_url, rows) if url]
    for row in rows:
        url = _row_url(row)
        if row["image"] is None and url:
            needed.setdefault(url, []).append(f"{_text(row['problem_id'])}#{_text(row['order'])}")
    return resolve_missing_images(
        needed, image_dir, fetch=fetch, budget=budget, timeout=timeout, dataset_urls=urls
    )


def _to_problems(
    rows: list[dict],
    columns: list[str],
    dataset: str,
    origin: str,
    found: dict[str, ImageRef],
) -> tuple[list[Problem], dict[str, list[str]]]:
    meta_columns = ["speciality"] + [c for c in columns if c.startswith("flag_")]
    groups: dict[str, list[tuple[float, dict]]] = {}
    for row in rows:
        pid = _text(row["problem_id"])
        order = order_number(row["order"], pid, origin, row.get("_where", ""))
        groups.setdefault(pid, []).append((order, row))
    problems: list[Problem] = []
    skipped: dict[str, list[str]] = {}
    for pid in sorted(groups):
        ordered = sorted(groups[pid], key=lambda item: item[0])
        triplets = []
        for order, row in ordered:
            url = _row_url(row)
            image = row["image"] if row["image"] is not None else found.get(url or "")
            if image is None:
                skipped.setdefault(pid, []).append(url or f"(order {order:g}: no image and no image_url)")
            triplets.append(
                Triplet(
                    problem_id=pid,
                    order=int(order) if order.is_integer() else order,  # type: ignore[arg-type]
                    question=_text(row["question"]),
                    answer=_text(row["answer"]),
                    image=image,
                    image_url=url,
                )
            )
        if pid in skipped:
            continue
        metadata = {c: _none_if_nan(ordered[-1][1].get(c)) for c in meta_columns}
        problems.append(
            Problem(
                problem_id=pid,
                examples=tuple(triplets[:-1]),
                query=triplets[-1],
                metadata=metadata,
                dataset=dataset,
            )
        )
    return problems, skipped
