"""Write a static HTML report of a results folder that a clinician can browse offline.

    python report.py RESULTS_DIR [-o report.html] [--dataset demo|smmile|augmented | --dataset-path PATH]
        [--inline-images]

The page holds the summary table (with the paper's Table 1 or 2 values beside the folder's) and, per problem, the examples (images, questions, answers),
the query, the true answer and each model's answer with its correctness (EM, MCQA, the judge's
verdict when <result>_evaluationllm.json exists), with filters by model, mode, format,
speciality and flag. The examples and images come from the dataset: the demo's results find it
themselves; other results need --dataset or --dataset-path (without, the page shows the answers
only). Images go to <report>_images/ beside the page, or inline with --inline-images.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from smmile.analysis.paper import dataset_of_results
from smmile.data.paper_tables import table_for
from smmile.data.reference import load_reference_dataset
from smmile.data.sources import DEMO_ID
from smmile.errors import UserError
from smmile.present.report import THUMB_SIZE, write_report
from smmile.results.folder import read_results_folder
from smmile.results.naming import REPORT
from smmile.results.reader import Result
from smmile.types import Problem
from utils import add_dataset_args, add_result_filters, run_main, script_parser


def dataset_choice(args, results: Sequence[Result]) -> tuple[str | None, str | None]:
    """(dataset, dataset_path) from the flags; the demo's results name the demo themselves."""
    if args.dataset or args.dataset_path:
        return args.dataset, args.dataset_path
    ids = {rec.dataset for r in results for rec in r.records}
    return ("demo", None) if ids == {DEMO_ID} else (None, None)


def load_problems(args, dataset: str | None, path: str | None) -> tuple[Mapping[str, Problem] | None, str]:
    loaded = load_reference_dataset(args, "the examples", dataset, path)
    if loaded is None:
        return None, ""
    if loaded.skipped:
        print(
            f"warning: {len(loaded.skipped)} problem(s) of {loaded.dataset_id} have images missing from "
            f"{args.image_dir}; they are shown without examples",
            file=sys.stderr,
        )
    return {p.problem_id: p for p in loaded.problems}, loaded.dataset_id


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", help="folder of result files")
    parser.add_argument(
        "-o", "--output", default=None, help="the HTML file (default RESULTS_DIR/report.html)"
    )
    add_result_filters(parser, "show")
    add_dataset_args(parser, default=None, help="where the examples and images come from")
    parser.add_argument(
        "--inline-images",
        dest="inline_images",
        action="store_true",
        help="embed thumbnails in the page (one self-contained file) instead of an images folder",
    )
    parser.add_argument(
        "--thumb-size", dest="thumb_size", type=int, default=THUMB_SIZE, help="thumbnail size (px)"
    )
    args = parser.parse_args(argv)
    if args.thumb_size < 16:
        raise UserError("--thumb-size must be at least 16")

    folder = Path(args.results_dir)
    found = read_results_folder(folder, "report", args.model, args.inference_mode)
    for line in found.notes:
        print(line, file=sys.stderr)
    results = found.checked()
    dataset, path = dataset_choice(args, results)
    problems, dataset_id = load_problems(args, dataset, path)
    if problems is None:
        print(
            "warning: no dataset given: the report shows no examples or images; "
            "pass --dataset smmile|augmented or --dataset-path PATH",
            file=sys.stderr,
        )
    out = Path(args.output) if args.output else folder / REPORT
    subtitle = f"{len(results)} result(s)" + (f"; examples from {dataset_id}" if dataset_id else "")
    count, report_notes = write_report(
        results,
        folder,
        out,
        problems,
        inline_images=args.inline_images,
        thumb_size=args.thumb_size,
        subtitle=subtitle,
        paper_table=table_for(dataset_of_results(results)),
    )
    for line in report_notes:
        print(line, file=sys.stderr)
    print(f"Report of {count} problem(s) from {len(results)} result(s) written to {out}")
    return 0


if __name__ == "__main__":
    run_main(main)
