"""Result ids: the model's name in result file names (`--name`, or derived from an API model name)."""

from __future__ import annotations

import re

from smmile.errors import UserError

_ID_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")
_DATE_SUFFIX = re.compile(r"-\d{8}$")


def result_id(api_model: str, strip_date: bool = False) -> str:
    """A result id from an API model name: its last path segment, characters a file name takes.

    `Qwen/Qwen2.5-VL-72B-Instruct` -> `Qwen2.5-VL-72B-Instruct`, `llama3.3:70b` -> `llama3.3-70b`;
    with `strip_date`, `claude-3-7-sonnet-20250219` -> `claude-3-7-sonnet`.
    """
    name = api_model.rstrip("/").rsplit("/", 1)[-1]
    name = _ID_CHARS.sub("-", name).strip("-.")
    if strip_date:
        name = _DATE_SUFFIX.sub("", name)
    if not name:
        raise UserError(f"--model {api_model!r}: cannot make a result id of it; give --name")
    return name


def check_result_id(name: str) -> str:
    """A `--name` must be usable in result file names."""
    if not name or _ID_CHARS.search(name) or name.startswith(".") or "_ICL" in name or "_0-shot" in name:
        raise UserError(
            f"--name {name!r}: use letters, digits and . _ + - only (it becomes part of file names)"
        )
    return name
