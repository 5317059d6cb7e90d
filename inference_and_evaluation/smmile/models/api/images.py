"""Images as API requests carry them: base64 PNG, within a provider's limits.

Images are encoded once per run per (content hash, size cap) as PNG, the format the paper sent.
An image beyond a provider's limits is resized deterministically (Lanczos, aspect kept) and the
resize is recorded in `describe()`, which the run manifest holds.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from typing import Any

from smmile.image_decode import oriented
from smmile.types import Image, ImageRef, Prompt

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SHRINK_STEPS = 12


@dataclass(frozen=True)
class ImageLimits:
    """A provider's limits on one image of a request.

    max_b64_chars: length of the base64 text; max_side: longest side in pixels; when a request
    holds more than `many_images` images the longest side is capped at `many_max_side`;
    max_images: images per request (more is refused: images are never dropped).
    """

    max_b64_chars: int | None = None
    max_side: int | None = None
    many_images: int | None = None
    many_max_side: int | None = None
    max_images: int | None = None

    def side_cap(self, n_images: int) -> int | None:
        caps = [self.max_side]
        if self.many_images is not None and n_images > self.many_images:
            caps.append(self.many_max_side)
        known = [c for c in caps if c]
        return min(known) if known else None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


NO_LIMITS = ImageLimits()


@dataclass(frozen=True)
class EncodedImage:
    b64: str
    media_type: str = "image/png"

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.b64}"


def _b64_len(n_bytes: int) -> int:
    return 4 * math.ceil(n_bytes / 3)


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))


@dataclass
class ImageEncoder:
    """Encodes each distinct image once (per size cap) as base64 PNG, within `limits`.

    An RGB or RGBA PNG within the limits is sent as its own bytes; anything else is decoded
    (other modes become RGB, as the paper's scripts did) and saved as PNG. `resized` records each
    image that had to shrink: sha256 -> {from, to, reason}.
    """

    limits: ImageLimits = NO_LIMITS
    encoded: int = 0
    resized: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[tuple[str, int | None], EncodedImage] = field(default_factory=dict, repr=False)

    def encode(self, ref: ImageRef, n_images: int = 1) -> EncodedImage:
        cap = self.limits.side_cap(n_images)
        key = (ref.sha256, cap)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._encode(ref, cap, n_images)
            self.encoded += 1
        return hit

    def _encode(self, ref: ImageRef, cap: int | None, n_images: int) -> EncodedImage:
        from PIL import Image as PILImage

        raw = ref.read_bytes()
        with PILImage.open(io.BytesIO(raw)) as stored:
            opened = oriented(stored)  # EXIF orientation applied, as for every image source
            mode, size = opened.mode, opened.size
            reasons: list[str] = []
            target = size
            if cap is not None and max(size) > cap:
                target = _scaled(size, cap / max(size))
                many = self.limits.many_images is not None and n_images > self.limits.many_images
                extra = f" ({n_images} images in the request)" if many else ""
                reasons.append(f"longest side over {cap} px{extra}")
            img = None
            as_stored = opened is stored and raw.startswith(PNG_SIGNATURE)
            if target == size and as_stored and mode in ("RGB", "RGBA"):
                data = raw  # already what the provider takes: no decoding, no re-encoding
            else:
                img = opened.copy() if mode in ("RGB", "RGBA") else opened.convert("RGB")
                data = _png(img if target == size else img.resize(target, PILImage.Resampling.LANCZOS))
            limit = self.limits.max_b64_chars
            if limit is not None and _b64_len(len(data)) > limit:
                reasons.append(f"base64 size over {limit} characters")
                if img is None:
                    img = opened.copy()
                data, target = self._shrink_to(img, target, limit, ref)
        if reasons:
            self.resized[ref.sha256] = {"from": list(size), "to": list(target), "reason": "; ".join(reasons)}
        return EncodedImage(base64.b64encode(data).decode("ascii"))

    @staticmethod
    def _shrink_to(img, size: tuple[int, int], limit: int, ref: ImageRef) -> tuple[bytes, tuple[int, int]]:
        """Scale down from the decoded image until the base64 PNG fits (same steps every run)."""
        from PIL import Image as PILImage

        current, data = size, b""
        for _ in range(_SHRINK_STEPS):
            data = _png(img.resize(current, PILImage.Resampling.LANCZOS))
            n = _b64_len(len(data))
            if n <= limit:
                return data, current
            current = _scaled(current, min(0.9, math.sqrt(limit / n) * 0.95))
        raise ValueError(f"image {ref.sha256[:12]} does not fit in {limit} base64 characters")

    def describe(self) -> dict[str, Any]:
        """A live view: the manifest written at the end of the run sees every resize."""
        return {"limits": self.limits.describe(), "resized": self.resized}


def prompt_images(prompt: Prompt) -> int:
    return sum(1 for m in prompt.messages for p in m.parts if isinstance(p, Image))
