"""Thumbnails for the HTML report, decoded with bounded memory.

A PNG header may claim 30000x30000 pixels (a decompression bomb, or a huge scan): such an image is
not decoded; the report shows a placeholder and names it in a warning. A JPEG is decoded at a
reduced scale first (its format allows that), so only its reduced size counts.
"""

from __future__ import annotations

import io
import warnings

from smmile.image_decode import oriented

MAX_PIXELS = 40_000_000  # the most pixels decoded for one thumbnail: about 120 MB as RGB


class TooLarge(ValueError):
    """The image has more pixels than a thumbnail may decode."""


def make_thumbnail(data: bytes, size: int, max_pixels: int = MAX_PIXELS) -> tuple[bytes, str]:
    """(JPEG bytes of a thumbnail at most `size` px a side, the source's format).

    Raises TooLarge for an image over `max_pixels`, ValueError or OSError for one that cannot
    be read.
    """
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
        try:
            img = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise TooLarge(str(exc).split(" could be")[0]) from None
        with img:
            fmt = (img.format or "png").lower()
            if img.format == "JPEG":
                img.draft("RGB", (size, size))  # decode at 1/2, 1/4 or 1/8 scale
            width, height = img.size
            if width * height > max_pixels:
                raise TooLarge(
                    f"{width}x{height} px, more than the {max_pixels:,} pixels a thumbnail decodes"
                )
            thumb = oriented(img).convert("RGB")
    thumb.thumbnail((size, size))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=85)
    return out.getvalue(), fmt
