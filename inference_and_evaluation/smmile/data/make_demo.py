"""Generate the bundled demo dataset: 12 small synthetic problems in the hub's column layout.

    cd inference_and_evaluation && python -m smmile.data.make_demo [--out DIR]

Every image is drawn so that it determines its answer (a colour, a side, a count, ...; see
``demo_problems``). The output is byte-for-byte deterministic: pixels come from integer drawing
code and a seeded LCG, and the PNG encoder writes stored deflate blocks (see ``demo_canvas``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from smmile.data.demo_canvas import Rng, encode_png
from smmile.data.demo_problems import PROBLEMS, URL_BASE
from smmile.io import write_atomic

DEFAULT_OUT = Path(__file__).resolve().parent / "demo"


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
    for relative, data in images.items():
        write_atomic(out / relative, data)  # the folders are made as needed
    write_atomic(out / "data.jsonl", "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
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
