"""Score every result in a folder: exact match for open answers, option accuracy for MCQA.

    python evaluate_EM.py [RESULTS_DIR] [--model M] [--inference-mode ICL] [--strict-match]
        [--output-dir DIR]

Writes <result>_evaluation.json beside each result and model_comparison.txt, and prints the
comparison. --strict-match compares the raw strings of open answers instead and writes
<result>_evaluation_strict.json and model_comparison_strict.txt (the default scores stay as they
are). --model / --inference-mode score only those results: the comparison keeps the other rows
from their evaluation files. --output-dir writes every file there and nothing into RESULTS_DIR
(e.g. to re-score a published folder). A file that cannot be read is named on stderr in one
line; the others are still scored. Exit status 2 when nothing could be scored.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from smmile.errors import UserError
from smmile.io import write_atomic
from smmile.present.tables import comparison_table
from smmile.results.evaluations import merged, read_evaluations, without_result
from smmile.results.naming import (
    EM_SUFFIX,
    MODEL_COMPARISON,
    MODEL_COMPARISON_STRICT,
    STRICT_SUFFIX,
    evaluation_name,
)
from smmile.results.outputs import Evaluation
from smmile.results.reader import load_results, result_stems
from smmile.scoring import evaluate_result
from utils import EXIT_USER_ERROR, add_result_filters, run_main, script_parser

COMPARISON = {False: MODEL_COMPARISON, True: MODEL_COMPARISON_STRICT}
NO_RESULT = "no result file: the saved score as it stands"


def output_folder(folder: Path, output_dir: str | None) -> Path:
    """Where the evaluation files go: --output-dir (created) or the results folder."""
    if output_dir is None:
        return folder
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UserError(f"{out}: --output-dir is not a folder") from None
    except OSError as exc:
        raise UserError(f"{out}: cannot create ({exc.strerror or exc})") from None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", nargs="?", default="../results", help="folder of result files")
    add_result_filters(parser, "score")
    parser.add_argument(
        "--strict-match",
        "--strict_match",
        dest="strict_match",
        action="store_true",
        help="compare raw strings instead of normalised ones (writes *_evaluation_strict.json)",
    )
    parser.add_argument(
        "--output-dir",
        "--output_dir",
        dest="output_dir",
        default=None,
        help="write the evaluation files and the comparison here, nothing into RESULTS_DIR",
    )
    args = parser.parse_args(argv)

    folder = Path(args.results_dir)
    results, notes = load_results(folder, args.model, args.inference_mode)
    for line in notes:
        print(line, file=sys.stderr)
    if not results:
        return EXIT_USER_ERROR
    strict = args.strict_match
    suffix = STRICT_SUFFIX if strict else EM_SUFFIX
    if strict:
        mcqa = [r for r in results if r.key is not None and r.key.task_format == "mcqa"]
        results = [r for r in results if r not in mcqa]
        if mcqa:
            print(f"note: --strict-match applies to open answers; {len(mcqa)} MCQA result(s) not scored")
        if not results:
            raise UserError(f"{folder}: no open-format result to score with --strict-match")
    out = output_folder(folder, args.output_dir)
    new: dict[str, Evaluation] = {}
    for result in results:
        evaluation = evaluate_result(result, strict=strict)
        write_atomic(
            out / evaluation_name(result.output_stem, suffix), json.dumps(evaluation, indent=2) + "\n"
        )
        new[result.output_stem] = evaluation
    saved, saved_notes = read_evaluations(out, suffix)
    for line in saved_notes:
        print(line, file=sys.stderr)
    alone = {s.stem for s in without_result(saved, result_stems(folder) | set(new))}
    rows = merged(new, saved)
    stems = [*new, *(s.stem for s in saved if s.stem not in new)]
    table = comparison_table(rows, [[NO_RESULT] if stem in alone else [] for stem in stems])
    write_atomic(out / COMPARISON[strict], table)
    print(table, end="")
    kept = len(rows) - len(new)
    print(
        f"{len(new)} result(s) scored; evaluations written to {out}"
        + (f" (the comparison keeps {kept} other saved evaluation(s))" if kept else "")
    )
    return 0


if __name__ == "__main__":
    run_main(main)
