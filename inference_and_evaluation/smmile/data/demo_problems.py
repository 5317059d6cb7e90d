"""The demo's twelve problems: one drawing per problem (parameter, rng -> Canvas) whose picture
determines its answer, and the table of problems (question, flags, examples then the query).

The answers are arranged so that the majority and random baselines are neither always right nor
always wrong, in exact match and in MCQA alike: three problems repeat the query answer in every
example, two never show it, the others are mixed; "Yes." vs "yes" makes normalisation matter.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from smmile.data.demo_canvas import (
    BLACK,
    BLUE,
    BROWN,
    DARK,
    DARK_RED,
    GREY,
    LIGHT,
    NEAR_BLACK,
    ORANGE,
    PINK,
    PURPLE,
    RED,
    SKIN,
    WHITE,
    YELLOW,
    Canvas,
    Rng,
)

URL_BASE = "https://example.org/smmile-demo/"


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
