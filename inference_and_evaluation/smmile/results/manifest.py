"""The run manifest written beside a result file: what ran, on what, when, and how it went."""

from __future__ import annotations

import json
import platform
import re
import socket
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from smmile.io import write_json_atomic
from smmile.redaction import redact, redact_all
from smmile.results.outputs import Environment, Manifest

PACKAGES = (
    "torch",
    "torchvision",
    "transformers",
    "tokenizers",
    "accelerate",
    "datasets",
    "huggingface-hub",
    "pillow",
    "numpy",
    "pandas",
    "anthropic",
    "openai",
    "ollama",
    "flash-attn",
    "vllm",
)
_SECRET_NAME = re.compile(r"(^|_)(api_?key|key|token|secret|password|credentials?)$", re.IGNORECASE)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(where: Path | None = None) -> str | None:
    where = where or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def scrub(config: dict[str, Any]) -> dict[str, Any]:
    """Drop keys named like a secret (`api_key`, `hf_token`, ...; not `max_tokens`), at any depth.

    Secrets come from the environment and stay there; this is a second line of defence.
    """
    return {
        k: scrub(v) if isinstance(v, dict) else v
        for k, v in config.items()
        if not _SECRET_NAME.search(str(k))
    }


def environment() -> Environment:
    return {
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "git_commit": git_commit(),
        "argv": [redact(arg) for arg in sys.argv],  # a --base-url may hold user:password
    }


def read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write `manifest` with every string redacted (URL credentials, secret query values)."""
    write_json_atomic(path, redact_all(manifest))
