"""Score every result in a folder: exact match for open answers, option accuracy for MCQA.

    python evaluate_EM.py [RESULTS_DIR] [--model M] [--inference-mode ICL] [--strict-match]

Writes <result>_evaluation.json beside each result and model_comparison.txt, and prints the
comparison. A file that cannot be read is named on stderr in one line; the others are still
scored. Exit status 2 when nothing could be scored.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from smmile.results.jsonl import write_output
from smmile.results.reader import load_results
from smmile.scoring import evaluate_result
from smmile.tables import comparison_table
from utils import EXIT_USER_ERROR, add_result_filters, run_script, script_parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", nargs="?", default="../results", help="folder of result files")
    add_result_filters(parser, "score")
    parser.add_argument(
        "--strict-match",
        "--strict_match",
        dest="strict_match",
        action="store_true",
        help="compare raw strings instead of normalised ones",
    )
    args = parser.parse_args(argv)

    folder = Path(args.results_dir)
    results, notes = load_results(folder, args.model, args.inference_mode)
    for line in notes:
        print(line, file=sys.stderr)
    if not results:
        return EXIT_USER_ERROR
    evaluations = []
    for result in results:
        evaluation = evaluate_result(result, strict=args.strict_match)
        write_output(
            folder / f"{result.output_stem}_evaluation.json", json.dumps(evaluation, indent=2) + "\n"
        )
        evaluations.append(evaluation)
    table = comparison_table(evaluations)
    write_output(folder / "model_comparison.txt", table)
    print(table, end="")
    print(f"{len(evaluations)} result(s) scored; evaluations written to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
