"""Compare a results folder with the paper's Table 1 (SMMILE) or Table 2 (SMMILE++).

    python compare_paper.py RESULTS_DIR [--dataset smmile|augmented] [--tolerance 0.5] [--mean-only]

Per model and cell (LLM judge, EM, MCQA x 0-shot, ICL): the paper's value ± SD, ours (observed
accuracy ± bootstrap SD), the difference, how many answers it amounts to, and whether the
bootstrap explains it (the paper printed means of 1,000 bootstrap resamples, which differ from
the observed accuracy by resampling noise only). Writes paper_comparison.txt, .json and .tex
(the paper's rows with the folder's new models below them) into RESULTS_DIR and prints the text.
The table is chosen from the folder's problems (SMMILE++ ids end in _perm_<k>); the demo has none.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from smmile.analysis.order import in_row_order
from smmile.analysis.paper import dataset_of_results
from smmile.analysis.paper_cells import our_cells
from smmile.analysis.paper_compare import TOLERANCE, compare
from smmile.data.paper_tables import paper_table
from smmile.errors import UserError
from smmile.io import write_atomic
from smmile.present.paper import combined_latex, comparison_text
from smmile.present.tables import COLUMNS
from smmile.results.folder import read_results_folder
from smmile.results.naming import PAPER_COMPARISON
from smmile.results.scores import read_judge_files
from utils import add_bootstrap_args, check_bootstrap_args, run_main, script_parser


def choose_table(requested: str | None, detected: str, folder: Path) -> str:
    if detected == "demo":
        raise UserError(
            f"{folder}: holds results of the bundled demo; the paper's tables are for SMMILE and SMMILE++"
        )
    if requested and requested != detected:
        found = "SMMILE++ (_perm_ ids)" if detected == "augmented" else "SMMILE"
        raise UserError(f"{folder}: --dataset {requested} but the folder's problems are {found}")
    return requested or detected


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", help="folder of result files (with their judge files for LLM cells)")
    parser.add_argument(
        "--dataset",
        choices=["smmile", "augmented"],
        default=None,
        help="the paper table to compare with: smmile (Table 1) or augmented (Table 2); "
        "chosen from the folder's problems when not given",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE,
        help="a cell differs when it is more than this many points from the paper",
    )
    parser.add_argument(
        "--mean-only", "--mean_only", dest="mean_only", action="store_true", help="LaTeX cells without the SD"
    )
    add_bootstrap_args(parser)
    args = parser.parse_args(argv)
    check_bootstrap_args(args)
    if args.tolerance < 0:
        raise UserError("--tolerance must be at least 0")

    folder = Path(args.results_dir)
    found = read_results_folder(folder, "compare")
    for line in found.notes:
        print(line, file=sys.stderr)
    results = found.checked()
    table = paper_table(choose_table(args.dataset, dataset_of_results(results), folder))
    ours, notes = our_cells(
        results, read_judge_files(folder, results), n_boot=args.n_bootstrap, seed=args.seed
    )
    for line in notes:
        print(line, file=sys.stderr)
    models = sorted({k[0] for k in ours} | set(table.models))
    comparison = compare(table, ours, COLUMNS, in_row_order(models), tolerance=args.tolerance)

    text = comparison_text(comparison)
    write_atomic(folder / PAPER_COMPARISON.txt, text)
    write_atomic(folder / PAPER_COMPARISON.json, json.dumps(comparison.as_dict(), indent=2) + "\n")
    write_atomic(folder / PAPER_COMPARISON.tex, combined_latex(comparison, table, mean_only=args.mean_only))
    print(text, end="")
    print(f"Comparison written to {folder / PAPER_COMPARISON.stem}.txt, .json and .tex")
    return 0


if __name__ == "__main__":
    run_main(main)
