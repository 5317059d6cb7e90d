"""The progress bar over a stream of results, shown on stderr (runs and the judge alike)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def with_progress(stream: Iterator[T], total: int, desc: str, unit: str, show: bool = True) -> Iterator[T]:
    """`stream`, one step of a progress bar per item once it is handled; closing this closes
    `stream` too (a backend's stream stops its requests in flight)."""
    bar = tqdm(total=total, desc=desc, unit=unit, disable=not show, file=sys.stderr)
    try:
        for item in stream:
            yield item
            bar.update(1)
    finally:
        bar.close()
        getattr(stream, "close", lambda: None)()
