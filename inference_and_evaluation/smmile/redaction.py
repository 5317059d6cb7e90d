"""Secrets out of everything the harness records or prints: one redaction rule for manifests,
error records, error lines and printed summaries.

`redact` removes known secrets (API keys quoted back by a server), the credentials of any URL
in the text (`http://user:PASS@host` -> `http://[redacted]@host`) and the values of query
parameters named like a secret (`?api-key=...`). `public_url` is how a server is named in a
manifest or a message: scheme, host, port and path only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[redacted]"
_MIN_SECRET = 4  # shorter "secrets" (e.g. a placeholder key) would blank ordinary words
# scheme://userinfo@ : the userinfo runs to the last "@" before the path, query or fragment
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s?#@]*(?:@[^/\s?#@]*)*@")
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&](?:api[-_]?key|key|token|access[-_]?token|auth|password|passwd|secret|sig|signature)=)"
    r"[^&#\s]+",
    re.IGNORECASE,
)


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` without the given secrets, URL credentials or secret-named query values."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET:
            text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}{REDACTED}", text)


def redact_all(value: Any, secrets: Sequence[str] = ()) -> Any:
    """`value` (JSON-like: dicts, lists, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_all(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(v, secrets) for v in value]
    return value


def public_url(url: str | None) -> str | None:
    """A URL fit for a manifest or a message: no user, password, query or fragment."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
