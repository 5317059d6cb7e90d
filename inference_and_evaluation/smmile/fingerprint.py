"""Fingerprints: short, stable hashes of JSON-like values, of model configs and of checkpoint folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

SHORT = 16  # hex characters of a fingerprint kept in records and messages
SMALL_FILE = 16 << 20  # files up to this size are hashed whole
SAMPLE = 1 << 20  # of a larger file (weights): its size, its first and its last MiB
# keys of a transformers config that say where or how it was loaded, not what the model is
_LOAD_KEYS = frozenset(
    {"_name_or_path", "transformers_version", "_commit_hash", "dtype", "torch_dtype", "_attn_implementation"}
)
_SKIPPED_FILES = (".md", ".lock")


def digest(value: Any) -> str:
    """sha256 of `value` as canonical JSON (sorted keys), first SHORT hex characters."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:SHORT]


def _without_load_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_load_keys(v)
            for k, v in value.items()
            if k not in _LOAD_KEYS and not str(k).startswith("_attn_implementation")
        }
    if isinstance(value, list):
        return [_without_load_keys(v) for v in value]
    return value


def config_fingerprint(*configs: dict[str, Any] | None) -> str:
    """A fingerprint of loaded model configs (e.g. config and generation config as dicts), leaving
    out what only says where they came from or how they were loaded (path, versions, dtype)."""
    return digest([_without_load_keys(c) for c in configs])


def _file_digest(path: Path) -> str:
    size = path.stat().st_size
    sha = hashlib.sha256(f"{size}\0".encode())
    with path.open("rb") as fh:
        if size <= SMALL_FILE:
            for chunk in iter(lambda: fh.read(SAMPLE), b""):
                sha.update(chunk)
        else:
            sha.update(fh.read(SAMPLE))
            fh.seek(size - SAMPLE)
            sha.update(fh.read(SAMPLE))
    return sha.hexdigest()


def folder_fingerprint(folder: str | Path) -> str:
    """A fingerprint of a checkpoint folder's files (weights, tokenizer, templates, configs), cheap
    even for hundreds of GB: small files whole, large ones by size and their first and last MiB.
    Hidden files and folders, *.md and *.lock are left out; the folder's own path does not count."""
    root = Path(folder)
    entries = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.name.endswith(_SKIPPED_FILES):
            continue
        if path.is_file():
            entries.append((rel.as_posix(), _file_digest(path)))
    return digest(entries)
