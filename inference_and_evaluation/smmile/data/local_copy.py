"""Rows from a local copy: a save_to_disk folder, a parquet file (or a folder of them), or a JSON
Lines file with its images beside it (relative paths, data URLs or hub-style {bytes, path})."""

from __future__ import annotations

import json
import math
from pathlib import Path

from smmile.data.rows import SourceRows, dataset_rows, missing_columns, one_line, sha256_files, undecoded
from smmile.data.validation import image_bytes, image_inside
from smmile.errors import FileProblem
from smmile.types import ImageRef


def local_rows(path: Path) -> SourceRows:
    """The rows of the local copy at `path` (a folder, a .jsonl or a .parquet file)."""
    if path.is_dir():
        folder, files = path, []
    elif path.is_file() and path.suffix in (".jsonl", ".parquet"):
        folder, files = path.parent, [path]
    elif path.exists():
        raise FileProblem(path, "not a dataset folder, .jsonl or .parquet file")
    else:
        raise FileProblem(path, "no such dataset folder")
    if not files and ((folder / "dataset_info.json").is_file() or (folder / "dataset_dict.json").is_file()):
        return _saved_rows(folder)
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
    return SourceRows(rows, columns, sha256_files(files), str(files[0] if len(files) == 1 else folder))


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
        missing = missing_columns(row)
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
        raise FileProblem(file, f"unreadable parquet file ({one_line(exc)})") from None
    missing = missing_columns(table.column_names)
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


def _saved_rows(folder: Path) -> SourceRows:
    import datasets

    try:
        ds = datasets.load_from_disk(str(folder))
    except Exception as exc:
        raise FileProblem(folder, f"unreadable save_to_disk folder ({one_line(exc)})") from None
    if isinstance(ds, datasets.DatasetDict):
        if "train" not in ds:
            raise FileProblem(folder, f"no 'train' split (found: {', '.join(ds) or 'none'})")
        ds = ds["train"]
    missing = missing_columns(ds.column_names)
    if missing:
        raise FileProblem(folder, f"missing required column(s) {', '.join(missing)}")
    if len(ds) == 0:
        raise FileProblem(folder, "no rows")
    ds = undecoded(ds)
    files = sorted({Path(f["filename"]) for f in ds.cache_files}) or sorted(folder.rglob("*.arrow"))
    return SourceRows(dataset_rows(ds, folder), list(ds.column_names), sha256_files(files), str(folder))
