"""Images: decoding as the model sees them; missing images: file names derived from an image URL,
lookup in a folder, fetch and save.

A URL never makes this module read or write outside the image folder: a name with a path
separator, a NUL, a ".." or a leading dot is never used as-is, every final path is checked with
``resolve()`` to lie inside the folder, and writes go through a temporary file and ``os.replace``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from smmile.types import ImageRef

MAX_NAME_LENGTH = 150
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_DOT_RUNS = re.compile(r"\.{2,}")
_HASH_LENGTH = 12


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


def oriented(img):
    """`img` as it is meant to be seen: its EXIF orientation applied, as the `datasets` Image
    feature applies it when it decodes the hub's images (so a local copy gives the same pixels)."""
    from PIL import ExifTags, ImageOps

    if img.getexif().get(ExifTags.Base.Orientation) is None:
        return img
    return ImageOps.exif_transpose(img)


def decode_rgb(data: bytes):
    """The image in `data` as an RGB PIL image, EXIF orientation applied (every image source)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return oriented(img).convert("RGB")


def _is_image(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    return True


def find_image(url: str, image_dir: Path) -> ImageRef | None:
    """A readable image for `url` already in `image_dir`, or None."""
    for name in image_file_names(url):
        path = _inside(image_dir, name)
        try:
            if path is None or not path.is_file():
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if _is_image(data):
            return ImageRef(sha256=hashlib.sha256(data).hexdigest(), path=path)
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_image(url: str, timeout: float = 10.0) -> bytes | None:
    """The body at an http(s) `url` when it is an image PIL can open; None on any failure."""
    import httpx

    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError):
        return None
    if response.status_code != 200 or not _is_image(response.content):
        return None
    return response.content


def resolve_missing_image(
    url: str | None, image_dir: Path | None, fetch: bool = True, timeout: float = 10.0
) -> ImageRef | None:
    """The image for a row whose image is missing: from `image_dir`, else fetched and saved there.

    A fetched image is saved under ``safe_image_name(url)``; without an image folder (or when
    that name cannot be used safely) it is kept in memory only. None when nothing usable is found.
    """
    if not url:
        return None
    if image_dir is not None:
        found = find_image(url, image_dir)
        if found is not None:
            return found
    if not fetch:
        return None
    data = fetch_image(url, timeout=timeout)
    if data is None:
        return None
    if image_dir is not None:
        try:
            image_dir.mkdir(parents=True, exist_ok=True)
            target = _inside(image_dir, safe_image_name(url))
            if target is not None:
                _write_atomic(target, data)
                return ImageRef(sha256=hashlib.sha256(data).hexdigest(), path=target)
        except OSError:
            pass
    return ImageRef.from_bytes(data)
