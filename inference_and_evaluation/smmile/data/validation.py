"""Dataset rows checked at load, before any request: every problem id, answer and order present
and well-formed, no two rows of a problem at one order, and image paths inside the dataset folder.

A row that breaks a rule is never guessed into shape (a missing id is not "", a missing answer
is not the true answer ""): the load stops with one line naming the file, the row and the rule.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from smmile.errors import FileProblem, UserError
from smmile.types import Problem

_SHOWN = 3  # rows named in one line before "and N more"


def is_missing(value: Any) -> bool:
    """None, NaN (a missing cell read by pandas or pyarrow) or text that is only blanks."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def order_number(value: Any, pid: str, origin: str, where: str) -> float:
    """A row's `order` as a number; anything else (text, a boolean, NaN, missing) is refused."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise ValueError
        return number
    except (TypeError, ValueError):
        raise FileProblem(origin, f"{where} (problem {pid}): order {value!r} is not a number") from None


def _text_value(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def check_rows(rows: Sequence[dict], origin: str) -> None:
    """Refuse rows without a usable problem_id or answer, and problems with repeated orders."""
    bad: list[str] = []
    seen: dict[tuple[str, float], str] = {}
    for row in rows:
        where = row.get("_where") or "a row"
        raw_id = row.get("problem_id")
        if is_missing(raw_id) or not _text_value(raw_id):
            bad.append(f"{where}: problem_id is missing or not text ({raw_id!r})")
            continue
        pid = str(raw_id)
        answer = row.get("answer")
        if is_missing(answer) or not _text_value(answer):
            bad.append(f"{where} (problem {pid}): answer is missing or not text ({answer!r})")
        order = order_number(row.get("order"), pid, origin, where)
        first = seen.setdefault((pid, order), where)
        if first != where:
            bad.append(f"{first} and {where} (problem {pid}): both have order {order:g}")
    if bad:
        more = f" (and {len(bad) - _SHOWN} more)" if len(bad) > _SHOWN else ""
        raise FileProblem(origin, "; ".join(bad[:_SHOWN]) + more)


def image_inside(folder: Path, value: str, origin: str | Path, where: str) -> Path:
    """`value` as a path in `folder`; an absolute path, or one that climbs out with `..`, is refused
    (a dataset must not make the harness read, and send, a file from elsewhere)."""
    relative = PurePosixPath(value.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts:
        raise FileProblem(
            origin,
            f"{where}: image path {value!r} is outside the dataset folder {folder}; "
            "give image paths relative to that folder",
        )
    return folder / value


def image_bytes(data: Any, origin: str | Path, where: str) -> bytes:
    """The bytes of an image given inline: raw bytes (the `datasets` Image feature's own form), or
    base64 text (how JSON carries bytes), with or without a `data:image/...;base64,` prefix.
    Text that is not base64, or base64 of something that is not an image, is refused."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if not isinstance(data, str):
        raise FileProblem(
            origin, f"{where}: image bytes must be bytes or base64 text, got {type(data).__name__}"
        )
    text = data.strip()
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if not header.endswith(";base64"):
            raise FileProblem(origin, f"{where}: image data URL {header[:40]!r}... is not base64")
    text = "".join(text.split())  # base64 wrapped over several lines
    try:
        altchars = b"-_" if "-" in text or "_" in text else None  # the URL-safe alphabet
        raw = base64.b64decode(text, altchars=altchars, validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise FileProblem(
            origin, f"{where}: image bytes are text but not base64 ({text[:24]!r}...)"
        ) from None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)):
            pass  # the header is read; nothing is decoded
    except (UnidentifiedImageError, OSError):
        raise FileProblem(
            origin, f"{where}: image bytes decode from base64 to {len(raw)} bytes that are not an image"
        ) from None
    return raw


def check_icl_examples(problems: Sequence[Problem], dataset: str) -> None:
    """ICL needs in-context examples: a problem without any is refused, never run 0-shot."""
    empty = sorted(p.problem_id for p in problems if not p.examples)
    if empty:
        shown = ", ".join(empty[:_SHOWN]) + (
            f" and {len(empty) - _SHOWN} more" if len(empty) > _SHOWN else ""
        )
        raise UserError(
            f"{dataset}: {len(empty)} problem(s) have no in-context examples (one row only), so "
            f"--inference_mode ICL cannot run them: {shown}; run them 0-shot, or remove them "
            "from the dataset"
        )
