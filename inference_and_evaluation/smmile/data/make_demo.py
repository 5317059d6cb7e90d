"""Generate the bundled demo dataset: 12 small synthetic problems in the hub's column layout.

    cd inference_and_evaluation && python -m smmile.data.make_demo [--out DIR]

Every image is drawn so that it determines its answer (a colour, a side, a count, ...). The
output is byte-for-byte deterministic: pixels come from integer drawing code and a seeded LCG,
and the PNG encoder below writes palette images with uncompressed (stored) deflate blocks, so
neither the Pillow nor the zlib build can change a byte.

The answers are arranged so that the majority and random baselines are neither always right nor
always wrong, in exact match and in MCQA alike: three problems repeat the query answer in every
example, two never show it, the others are mixed; "Yes." vs "yes" makes normalisation matter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from smmile.io import write_atomic

DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
URL_BASE = "https://example.org/smmile-demo/"

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


# --- one drawing function per problem: (parameter, rng) -> Canvas -----------------------------------


def draw_fracture(fractured: bool, rng: Rng) -> Canvas:
    c = Canvas(80, 80, BLACK)
    c.speckle(rng, [NEAR_BLACK, DARK], 20, lambda x, y: True)
    cx = 34 + rng.randint(0, 10)
    c.rect(cx - 6, 10, cx + 6, 69, LIGHT)
    c.ellipse(cx, 10, 9, 6, LIGHT)
    c.ellipse(cx, 69, 9, 6, LIGHT)
    c.rect(cx - 2, 16, cx + 2, 63, GREY)
    if fractured:
        y = 34 + rng.randint(0, 10)
        c.line(cx - 9, y - 3, cx + 9, y + 3, BLACK, width=2)
    return c


def draw_nuclei(count: int, rng: Rng) -> Canvas:
    c = Canvas(72, 72, PINK)
    c.speckle(rng, [SKIN, WHITE], 8, lambda x, y: True)
    for _ in range(count):
        x, y = rng.randint(8, 63), rng.randint(8, 63)
        c.ellipse(x, y, 7, 6, SKIN)
        c.ellipse(x, y, rng.randint(3, 4), rng.randint(3, 4), PURPLE)
    return c


LESION_COLOURS = {"red": RED, "brown": BROWN, "black": BLACK, "blue": BLUE}


def draw_lesion(colour: str, rng: Rng) -> Canvas:
    c = Canvas(80, 80, SKIN)
    c.speckle(rng, [PINK], 6, lambda x, y: True)
    cx, cy = 36 + rng.randint(0, 8), 36 + rng.randint(0, 8)
    for _ in range(3):
        c.ellipse(
            cx + rng.randint(-6, 6),
            cy + rng.randint(-6, 6),
            rng.randint(7, 12),
            rng.randint(6, 10),
            LESION_COLOURS[colour],
        )
    return c


def draw_fundus(haemorrhage: bool, rng: Rng) -> Canvas:
    c = Canvas(80, 80, BLACK)
    c.ellipse(40, 40, 36, 36, ORANGE)
    ox, oy = 52 + rng.randint(0, 4), 36 + rng.randint(0, 6)
    for end in ((8, 14), (10, 66), (30, 6), (28, 74)):
        c.line(ox, oy, end[0] + rng.randint(-3, 3), end[1], DARK_RED)
    c.ellipse(ox, oy, 7, 7, YELLOW)
    if haemorrhage:
        c.ellipse(24 + rng.randint(0, 8), 44, 5, 4, DARK_RED)
    return c


def draw_incision(side: str, rng: Rng) -> Canvas:
    c = Canvas(80, 80, WHITE)
    c.rect(17, 7, 62, 76, BLACK)
    c.rect(18, 8, 61, 75, SKIN)
    for y in range(10, 74, 4):
        c.put(40, y, LIGHT)
    c.ellipse(40, 46, 2, 2, BROWN)
    x = (24 if side == "left" else 48) + rng.randint(0, 6)
    y = 18 + rng.randint(0, 8)
    c.line(x, y, x + rng.randint(-2, 2), y + 22, RED, width=2)
    return c


def draw_ecg(beats: int, rng: Rng) -> Canvas:
    c = Canvas(96, 64, WHITE)
    for g in range(0, 96, 8):
        c.rect(g, 0, g, 63, PINK)
    for g in range(0, 64, 8):
        c.rect(0, g, 95, g, PINK)
    ys = [40 + (1 if (x // 3) % 4 == 0 else 0) for x in range(96)]
    for i in range(beats):
        px = (2 * i + 1) * 96 // (2 * beats)
        for dx in range(-8, -4):
            ys[px + dx] = 38
        ys[px - 1], ys[px], ys[px + 1] = 44, 10 + rng.randint(0, 6), 47
        for dx in range(6, 11):
            ys[min(px + dx, 95)] = 36
    c.polyline([(x, y) for x, y in enumerate(ys)], BLACK)
    return c


LOBE_Y = {"upper": 25, "middle": 40, "lower": 55}


def draw_ct(lobe: str, rng: Rng) -> Canvas:
    c = Canvas(80, 80, BLACK)
    c.ellipse(40, 40, 37, 34, GREY)
    c.ellipse(23, 40, 12, 26, NEAR_BLACK)
    c.ellipse(57, 40, 12, 26, NEAR_BLACK)
    c.ellipse(42, 48, 7, 9, LIGHT)
    c.rect(38, 6, 42, 74, LIGHT)
    c.ellipse(22 + rng.randint(-2, 2), LOBE_Y[lobe] + rng.randint(-2, 2), 3, 3, WHITE)
    return c


def draw_mri(shape: str, rng: Rng) -> Canvas:
    c = Canvas(72, 72, BLACK)
    c.ellipse(36, 36, 30, 33, LIGHT)
    c.ellipse(36, 36, 26, 29, DARK)
    c.speckle(rng, [GREY], 10, lambda x, y: (x - 36) ** 2 * 29**2 + (y - 36) ** 2 * 26**2 <= (26 * 29) ** 2)
    x, y = 26 + rng.randint(0, 18), 24 + rng.randint(0, 20)
    if shape == "round":
        c.ellipse(x, y, 6, 6, WHITE)
    else:
        c.ellipse(x, y, 9, 4, WHITE)
    return c


def draw_eeg(spikes: bool, rng: Rng) -> Canvas:
    c = Canvas(96, 72, WHITE)
    wiggle = (0, 1, 2, 1, 0, -1, -2, -1)
    positions = [p + rng.randint(0, 4) for p in (18, 46, 74)] if spikes else []
    for base in (12, 28, 44, 60):
        phase = rng.randint(0, 7)
        ys = [base + wiggle[(x + phase) % 8] for x in range(96)]
        for p in positions:
            ys[p] = base - 9
            for dx in range(2, 8):
                ys[p + dx] = base + 3
        c.polyline([(x, y) for x, y in enumerate(ys)], BLACK)
    return c


def draw_mammogram(mass: bool, rng: Rng) -> Canvas:
    c = Canvas(72, 88, BLACK)
    c.ellipse(0, 44, 60, 40, GREY)
    c.speckle(rng, [LIGHT, DARK], 12, lambda x, y: x**2 * 40**2 + (y - 44) ** 2 * 60**2 <= (60 * 40) ** 2)
    if mass:
        c.ellipse(24 + rng.randint(0, 10), 34 + rng.randint(0, 16), 6, 6, WHITE)
    return c


def draw_report(flagged: bool, rng: Rng) -> Canvas:
    c = Canvas(96, 72, WHITE)
    c.rect(6, 4, 60, 8, NEAR_BLACK)
    red_row = rng.randint(0, 5) if flagged else -1
    for row in range(6):
        y = 16 + 9 * row
        x = 6
        while x < 58:
            length = rng.randint(4, 12)
            c.rect(x, y, min(x + length, 60), y + 3, DARK)
            x += length + 3
        c.rect(70, y, 70 + rng.randint(8, 18), y + 3, RED if row == red_row else DARK)
    return c


def draw_ultrasound(stone: bool, rng: Rng) -> Canvas:
    c = Canvas(80, 80, BLACK)

    def in_fan(x: int, y: int) -> bool:
        dx, dy = x - 40, y - 2
        return dy > 0 and abs(dx) * 100 <= dy * 84 and dx * dx + dy * dy < 76 * 76

    c.speckle(rng, [DARK, GREY, GREY, LIGHT, NEAR_BLACK], 100, in_fan)
    cx = 40 + rng.randint(-4, 4)
    c.ellipse(cx, 40, 14, 9, BLACK)
    if stone:
        c.rect(cx - 2, 46, cx + 2, 74, BLACK)
        c.ellipse(cx, 44, 3, 3, WHITE)
    return c


# --- the problems --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoProblem:
    slug: str
    speciality: str
    answer_format: str
    image_type: str
    cognitive_process: str
    rarity: str | None
    difficulty: str
    question: str
    draw: Callable[..., Canvas]
    triplets: tuple[tuple[object, str], ...]  # (drawing parameter, answer), examples then the query

    @property
    def problem_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, URL_BASE + self.slug))


PROBLEMS: tuple[DemoProblem, ...] = (
    DemoProblem("fracture", "radiology", "binary(yes/no)", "X-Ray", "classification/diagnosis", "common", "medium",
                "Is there a fracture in this bone?", draw_fracture,
                ((True, "Yes."), (False, "No."), (True, "Yes."), (True, "yes"))),
    DemoProblem("nuclei", "pathology", "free response", "Staining", "classification/diagnosis", "uncommon", "hard",
                "What colour are the stained nuclei?", draw_nuclei,
                ((6, "Purple."), (9, "Purple."), (4, "Purple."), (7, "Purple."), (8, "Purple."))),
    DemoProblem("lesion", "dermatology", "free response", "Photograph", "classification/diagnosis", "common", "medium",
                "What colour is the lesion?", draw_lesion,
                (("red", "Red."), ("brown", "Brown."), ("black", "Black."), ("red", "Red."), ("blue", "Blue."))),
    DemoProblem("fundus", "ophthalmology", "binary(yes/no)", "Fundus Photograph", "classification/diagnosis",
                "uncommon", "hard", "Is there a haemorrhage in this fundus photograph?", draw_fundus,
                ((False, "No."), (False, "No."), (False, "No."))),
    DemoProblem("incision", "surgery", "multiple choice", "Illustration", "reasoning classification", "common",
                "medium", "On which side of the picture is the incision: left or right?", draw_incision,
                (("left", "Left."), ("right", "Right."), ("left", "Left."), ("right", "Right."))),
    DemoProblem("ecg", "other", "numerical", "ECG", "regression/quantitative", "common", "hard",
                "How many heartbeats (QRS complexes) are shown on this ECG strip?", draw_ecg,
                ((3, "3"), (4, "4"), (5, "5"), (4, "4"), (4, "4"))),
    DemoProblem("ct-nodule", "radiology", "multiple choice", "CT", "reasoning classification", None, "hard",
                "On this coronal CT, is the nodule in the upper lobe, middle lobe or lower lobe?", draw_ct,
                (("upper", "Upper lobe."), ("lower", "Lower lobe."), ("middle", "Middle lobe."),
                 ("lower", "Lower lobe."), ("upper", "Upper lobe."))),
    DemoProblem("mri-lesion", "radiology", "free response", "MRI", "reasoning classification", "uncommon", "medium",
                "What is the shape of the bright lesion?", draw_mri,
                (("oval", "Oval."), ("round", "Round."), ("oval", "Oval."), ("round", "Round."))),
    DemoProblem("eeg", "other", "binary(yes/no)", "EEG", "reasoning classification", "uncommon", "hard",
                "Does this EEG show generalised spike-and-wave discharges?", draw_eeg,
                ((False, "No."), (True, "Yes."), (False, "No."), (False, "No."), (True, "Yes."), (True, "Yes."))),
    DemoProblem("mammogram", "radiology", "binary(yes/no)", "Mammogram", "classification/diagnosis", "common",
                "medium", "Is there a mass in this mammogram?", draw_mammogram,
                ((True, "Yes."), (True, "Yes."), (False, "No."))),
    DemoProblem("lab-report", "other", "binary(yes/no)", "Text", "reasoning classification", "common", "medium",
                "Is any value in this lab report flagged in red?", draw_report,
                ((True, "Yes."), (False, "No."), (False, "No."), (False, "No."))),
    DemoProblem("ultrasound", "surgery", "free response", "Ultrasound", "classification/diagnosis", "uncommon",
                "hard", "What is the main finding in this ultrasound image?", draw_ultrasound,
                ((True, "Gallstone."), (True, "Gallstone."), (True, "Gallstone."))),
)  # fmt: skip


def build() -> tuple[list[dict], dict[str, bytes]]:
    """The demo's rows (hub column order) and its images (relative path -> PNG bytes)."""
    rows: list[dict] = []
    images: dict[str, bytes] = {}
    for problem in PROBLEMS:
        for order, (param, answer) in enumerate(problem.triplets):
            name = f"{problem.slug}_{order}.png"
            images[f"images/{name}"] = encode_png(problem.draw(param, Rng(f"{problem.slug}/{order}")))
            rows.append(
                {
                    "problem_id": problem.problem_id,
                    "order": order,
                    "image": f"images/{name}",
                    "image_url": URL_BASE + name,
                    "question": problem.question,
                    "answer": answer,
                    "speciality": problem.speciality,
                    "flag_answer_format": problem.answer_format,
                    "flag_image_type": problem.image_type,
                    "flag_cognitive_process": problem.cognitive_process,
                    "flag_rarity": problem.rarity,
                    "flag_difficulty_llms": problem.difficulty,
                }
            )
    return rows, images


def write_demo(out: Path) -> tuple[int, int]:
    """Write data.jsonl and images/*.png under `out`; returns (problems, images)."""
    rows, images = build()
    (out / "images").mkdir(parents=True, exist_ok=True)
    for relative, data in images.items():
        write_atomic(out / relative, data)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    write_atomic(out / "data.jsonl", text.encode("utf-8"))
    return len(PROBLEMS), len(images)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the bundled SMMILE demo dataset.")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    n_problems, n_images = write_demo(args.out)
    print(f"wrote {n_problems} problems and {n_images} images to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
