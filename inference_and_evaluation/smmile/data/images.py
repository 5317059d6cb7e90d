"""Images: decoding as the model sees them; missing images: file names derived from an image URL,
lookup in a folder, saving what was fetched (smmile.data.fetch fetches).

A URL never makes this module read or write outside the image folder: a name with a path
separator, a NUL, a ".." or a leading dot is never used as-is, every final path is checked with
``resolve()`` to lie inside the folder, and writes go through a temporary file and ``os.replace``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from smmile.errors import FileProblem
from smmile.image_decode import is_image
from smmile.io import write_atomic
from smmile.types import ImageRef

MAX_NAME_LENGTH = 150
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_DOT_RUNS = re.compile(r"\.{2,}")
_HASH_LENGTH = 12
STEM_LENGTH = 60  # characters of the URL's last segment kept in a cache name


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_LENGTH]


def _last_segment(url: str) -> str:
    """The last path segment as the authors took it: everything after the last "/"."""
    return url.split("/")[-1]


def is_safe_name(name: str) -> bool:
    """Whether `name` can be used as a single file name inside a folder, as it is."""
    return (
        bool(name)
        and len(name.encode("utf-8", "surrogatepass")) <= 255
        and not name.startswith(".")
        and ".." not in name
        and not any(c in name for c in "/\\\0")
        and all(c.isprintable() for c in name)
    )


def safe_image_name(url: str) -> str:
    """A deterministic, portable file name for the image at `url`.

    The URL's last segment with every character outside ``[A-Za-z0-9._-]`` replaced by "_",
    runs of dots collapsed and leading dots removed. A name that comes out empty or longer than
    MAX_NAME_LENGTH gets a short hash of the whole URL (so distinct URLs stay distinct).
    """
    name = _UNSAFE_CHARS.sub("_", _last_segment(url))
    name = _DOT_RUNS.sub(".", name).lstrip(".")
    if not name:
        return f"image_{_url_hash(url)}"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        suffix = f".{ext}" if dot and stem and 0 < len(ext) <= 5 else ""
        keep = MAX_NAME_LENGTH - _HASH_LENGTH - 1 - len(suffix)
        name = f"{name[: len(name) - len(suffix)][:keep]}_{_url_hash(url)}{suffix}"
    return name


def image_file_names(url: str) -> list[str]:
    """Names to look for in the image folder: the raw last segment when safe, then the sanitised one."""
    names = []
    raw = _last_segment(url)
    if is_safe_name(raw):
        names.append(raw)
    safe = safe_image_name(url)
    if safe not in names:
        names.append(safe)
    return names


def _inside(folder: Path, name: str) -> Path | None:
    """`folder / name` when `name` is a safe single name whose resolved path stays in `folder`."""
    if not is_safe_name(name):
        return None
    path = folder / name
    try:
        root = folder.resolve()
        if path.resolve().parent != root:
            return None
    except (OSError, RuntimeError, ValueError):
        return None
    return path


def cache_name(url: str) -> str:
    """The file name an image fetched from `url` is saved (and looked up) under: a readable stem of
    the URL's last segment, a short hash of the whole URL and the extension, e.g.
    ``image-3f2a9c1b7d4e.png``. Unique per URL (…/a/image.png and …/b/image.png differ) and always
    a safe single name."""
    name = safe_image_name(url)
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and 0 < len(ext) <= 5 and ext.isalnum()):
        stem, ext = name, ""
    stem = stem[:STEM_LENGTH].rstrip("._-") or "image"
    return f"{stem}-{_url_hash(url)}" + (f".{ext.lower()}" if ext else "")


def _read_image(image_dir: Path, name: str) -> ImageRef | None:
    path = _inside(image_dir, name)
    try:
        if path is None or not path.is_file():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return ImageRef(sha256=hashlib.sha256(data).hexdigest(), path=path) if is_image(data) else None


def find_image(url: str, image_dir: Path, ambiguous: frozenset[str] = frozenset()) -> ImageRef | None:
    """A readable image for `url` already in `image_dir`, or None: the file named ``cache_name(url)``,
    else one named after the URL's last segment (`image_file_names`: the authors' convention for
    hand-downloaded images) unless that name is in `ambiguous` (it fits other URLs too)."""
    found = _read_image(image_dir, cache_name(url))
    if found is not None:
        return found
    for name in image_file_names(url):
        if name not in ambiguous:
            found = _read_image(image_dir, name)
            if found is not None:
                return found
    return None


def has_image(image_dir: Path, name: str) -> bool:
    """Whether `image_dir` holds a readable image named `name`."""
    return _read_image(image_dir, name) is not None


def save_image(url: str, data: bytes, image_dir: Path | None) -> ImageRef:
    """Keep an image fetched from `url`: saved as ``cache_name(url)`` in `image_dir` when there is
    one and it is writable, else in memory only."""
    if image_dir is not None:
        try:
            image_dir.mkdir(parents=True, exist_ok=True)
            target = _inside(image_dir, cache_name(url))
            if target is not None:
                write_atomic(target, data)
                return ImageRef(sha256=hashlib.sha256(data).hexdigest(), path=target)
        except (OSError, FileProblem):
            pass
    return ImageRef.from_bytes(data)
