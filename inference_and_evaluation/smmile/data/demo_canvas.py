"""The demo's pixels, the same on every platform: a seeded 64-bit LCG, a 16-colour palette canvas
with integer drawing primitives, and a PNG encoder that writes palette images with uncompressed
(stored) deflate blocks, so neither the Pillow nor the zlib build can change a byte."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Sequence

# 16-colour palette (4-bit PNG)
BLACK, WHITE, DARK, GREY, LIGHT, RED, DARK_RED, PURPLE = range(8)
PINK, BROWN, BLUE, ORANGE, YELLOW, GREEN, SKIN, NEAR_BLACK = range(8, 16)
PALETTE = (
    (0, 0, 0), (255, 255, 255), (64, 64, 64), (128, 128, 128),
    (190, 190, 190), (220, 30, 30), (120, 10, 20), (110, 40, 150),
    (240, 180, 200), (120, 70, 30), (40, 70, 200), (230, 120, 40),
    (250, 220, 60), (40, 160, 60), (235, 200, 170), (30, 30, 30),
)  # fmt: skip


class Rng:
    """A 64-bit LCG seeded from a string: the same numbers on every platform."""

    def __init__(self, seed: str):
        self.state = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")

    def randint(self, low: int, high: int) -> int:
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return low + (self.state >> 33) % (high - low + 1)


class Canvas:
    """A palette-indexed image with a few integer drawing primitives."""

    def __init__(self, width: int, height: int, background: int):
        self.width, self.height = width, height
        self.pixels = bytearray([background]) * (width * height)

    def put(self, x: int, y: int, colour: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[y * self.width + x] = colour

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                self.put(x, y, colour)

    def ellipse(self, cx: int, cy: int, rx: int, ry: int, colour: int) -> None:
        for y in range(cy - ry, cy + ry + 1):
            for x in range(cx - rx, cx + rx + 1):
                if (x - cx) ** 2 * ry**2 + (y - cy) ** 2 * rx**2 <= rx**2 * ry**2:
                    self.put(x, y, colour)

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: int, width: int = 1) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x = x0 + (2 * (x1 - x0) * i + steps) // (2 * steps)
            y = y0 + (2 * (y1 - y0) * i + steps) // (2 * steps)
            for ox in range(width):
                for oy in range(width):
                    self.put(x + ox - width // 2, y + oy - width // 2, colour)

    def polyline(self, points: Sequence[tuple[int, int]], colour: int) -> None:
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            self.line(x0, y0, x1, y1, colour)

    def speckle(
        self, rng: Rng, colours: Sequence[int], percent: int, where: Callable[[int, int], bool]
    ) -> None:
        for y in range(self.height):
            for x in range(self.width):
                if where(x, y) and rng.randint(1, 100) <= percent:
                    self.put(x, y, colours[rng.randint(0, len(colours) - 1)])


def encode_png(canvas: Canvas) -> bytes:
    """A 4-bit palette PNG with stored deflate blocks and no metadata."""
    w, h = canvas.width, canvas.height
    raw = bytearray()
    for y in range(h):
        row = canvas.pixels[y * w : (y + 1) * w] + b"\0"
        raw.append(0)  # filter: none
        raw += bytes((row[x] << 4) | row[x + 1] for x in range(0, w, 2))
    blocks = bytearray(b"\x78\x01")
    for start in range(0, len(raw), 65535):
        block = raw[start : start + 65535]
        final = 1 if start + 65535 >= len(raw) else 0
        blocks += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block
    blocks += struct.pack(">I", zlib.adler32(bytes(raw)))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 4, 3, 0, 0, 0)),
            chunk(b"PLTE", bytes(c for rgb in PALETTE for c in rgb)),
            chunk(b"IDAT", bytes(blocks)),
            chunk(b"IEND", b""),
        )
    )
