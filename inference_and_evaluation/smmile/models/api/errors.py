"""An API error as one line of an error record: secrets removed, cut short."""

from __future__ import annotations

from collections.abc import Sequence

from smmile.redaction import redact

MAX_ERROR_CHARS = 600


def error_text(exc: BaseException, secrets: Sequence[str]) -> str:
    """One line for an error record: the exception's type and message, secrets removed, cut short."""
    message = " ".join(str(exc).split()) or repr(exc)
    text = redact(f"{type(exc).__name__}: {message}", secrets)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
