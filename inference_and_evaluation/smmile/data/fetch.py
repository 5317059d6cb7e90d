"""Missing images of a dataset, resolved at once: from the image folder, else fetched in parallel.

Fetching is bounded: at most `concurrency` requests at a time, `timeout` seconds per image and a
total time budget per load; what could not be had in time is listed with the reason, never waited
for on and on. Files named after the URL's last segment (hand-downloaded, the authors'
`missing_images/` convention) are used only when no other image URL of the dataset has that
last segment; otherwise they are refused in a note listing the rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from smmile.data.images import cache_name, find_image, has_image, image_file_names, save_image
from smmile.image_decode import is_image
from smmile.types import ImageRef

FETCH_BUDGET_S = 60.0
FETCH_CONCURRENCY = 8
FETCH_TIMEOUT_S = 10.0
MAX_IMAGE_BYTES = 64 << 20
ROWS_SHOWN = 6


@dataclass
class ImageResolution:
    """The images found or fetched (URL -> image), why the others are missing (URL -> reason), and
    notes for the user (refused hand-downloaded files, the time budget)."""

    images: dict[str, ImageRef] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def ambiguous_names(urls: Sequence[str]) -> dict[str, list[str]]:
    """Last-segment file names that more than one distinct URL would claim -> those URLs."""
    owners: dict[str, list[str]] = {}
    for url in dict.fromkeys(urls):
        for name in image_file_names(url):
            owners.setdefault(name, []).append(url)
    return {name: found for name, found in owners.items() if len(found) > 1}


def _rows(urls: Sequence[str], rows: Mapping[str, Sequence[str]]) -> str:
    listed = [f"{row} ({url})" for url in urls for row in rows.get(url, ())]
    more = f" and {len(listed) - ROWS_SHOWN} more" if len(listed) > ROWS_SHOWN else ""
    return ", ".join(listed[:ROWS_SHOWN]) + more


async def _get(client, url: str, timeout: float, late: str) -> bytes | str:
    """The image at `url`, or why there is none (`late`: when `timeout` seconds pass)."""
    import httpx

    try:
        async with asyncio.timeout(timeout):
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    return f"HTTP {response.status_code}"
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_IMAGE_BYTES:
                        return f"larger than {MAX_IMAGE_BYTES >> 20} MiB"
    except TimeoutError:
        return late
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as exc:
        return f"{type(exc).__name__}: {str(exc)[:120] or 'request failed'}"
    return bytes(body) if is_image(bytes(body)) else "not an image"


async def _fetch_all(
    urls: Sequence[str], concurrency: int, timeout: float, budget: float
) -> dict[str, bytes | str]:
    import httpx

    out: dict[str, bytes | str] = {}
    gate = asyncio.Semaphore(concurrency)
    deadline = time.monotonic() + budget

    async def one(client, url: str) -> None:
        async with gate:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            late = (
                f"no image within the time budget of {budget:g} s"
                if left < timeout
                else f"no image within {timeout:g} s"
            )
            out[url] = await _get(client, url, min(timeout, left), late)

    async with httpx.AsyncClient(follow_redirects=True, timeout=timeout) as client:
        tasks = [asyncio.create_task(one(client, url)) for url in urls]
        _, pending = await asyncio.wait(tasks, timeout=budget)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return out


def fetch_images(
    urls: Sequence[str],
    concurrency: int = FETCH_CONCURRENCY,
    timeout: float = FETCH_TIMEOUT_S,
    budget: float = FETCH_BUDGET_S,
) -> dict[str, bytes | str]:
    """URL -> image bytes, or the reason there are none; http(s) only; all within `budget` seconds."""
    out: dict[str, bytes | str] = {}
    web = []
    for url in dict.fromkeys(urls):
        if urlsplit(url).scheme.lower() in ("http", "https"):
            web.append(url)
        else:
            out[url] = "not an http(s) URL"
    if web:
        got = asyncio.run(_fetch_all(web, max(1, concurrency), timeout, budget))
        for url in web:
            out[url] = got.get(url, f"not fetched: the time budget of {budget:g} s was used up")
    return out


def resolve_missing_images(
    rows: Mapping[str, Sequence[str]],
    image_dir: Path | None,
    fetch: bool = True,
    budget: float = FETCH_BUDGET_S,
    timeout: float = FETCH_TIMEOUT_S,
    concurrency: int = FETCH_CONCURRENCY,
    dataset_urls: Sequence[str] = (),
) -> ImageResolution:
    """Images for the rows whose image is missing, given as URL -> the rows (labels) that need it.

    Looked up in `image_dir` (see `find_image`; a last-segment name is ambiguous when two of these
    URLs or of `dataset_urls`, every image URL of the dataset, end in it), else fetched (in
    parallel, within `budget` seconds) and saved there under ``cache_name(url)``.
    """
    result = ImageResolution()
    owners = ambiguous_names([*rows, *dataset_urls])
    clashes = {name: urls for name, urls in owners.items() if any(u in rows for u in urls)}
    ambiguous = frozenset(clashes)
    todo = []
    for url in rows:
        found = find_image(url, image_dir, ambiguous) if image_dir is not None else None
        if found is not None:
            result.images[url] = found
        else:
            todo.append(url)
    if image_dir is not None:
        for name, urls in sorted(clashes.items()):
            lacking = [u for u in urls if u in todo]
            if lacking and has_image(image_dir, name):
                result.notes.append(
                    f"{image_dir / name}: not used: {len(urls)} different image URLs of the dataset end "
                    f"in this name (rows lacking an image: {_rows(lacking, rows)}); save each image as "
                    f"the run names it (e.g. {cache_name(lacking[0])}) or let the run fetch them"
                )
    if not fetch:
        result.missing.update({url: "not in the image folder (fetching is off)" for url in todo})
        return result
    started = time.monotonic()
    fetched = fetch_images(todo, concurrency, timeout, budget)
    for url in todo:
        got = fetched[url]
        if isinstance(got, bytes):
            result.images[url] = save_image(url, got, image_dir)
        else:
            result.missing[url] = got
    whys = result.missing.values()
    over = sum(1 for why in whys if why.startswith("not fetched: the time budget"))
    cut = sum(1 for why in whys if why.startswith("no image within the time budget"))
    if over or cut:
        result.notes.append(
            f"image fetching stopped after {time.monotonic() - started:.0f} s (budget {budget:g} s): "
            f"{over} image URL(s) not tried, {cut} cut off in flight; they are listed with the skipped problems"
        )
    return result


def resolve_missing_image(
    url: str | None, image_dir: Path | None, fetch: bool = True, timeout: float = FETCH_TIMEOUT_S
) -> ImageRef | None:
    """The image for one URL: from `image_dir`, else fetched and saved there; None if neither."""
    if not url:
        return None
    return resolve_missing_images({url: ()}, image_dir, fetch, budget=timeout, timeout=timeout).images.get(
        url
    )
