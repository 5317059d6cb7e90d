"""Bootstrap the accuracy of every result: observed accuracy, SD and 95% interval per cell.

    python variance_analysis.py RESULTS_DIR [--generate_table] [--latex_output F] [--mean_only]

Cells: EM from open results, MCQA from mcqa results, LLM from the judge's
<result>_evaluationllm.json beside an open result. Ablation runs are left out. Writes
evaluation_results.txt and evaluation_results.json (and the LaTeX table with --generate_table)
into RESULTS_DIR and prints the table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from smmile.errors import FileProblem, UserError
from smmile.results.jsonl import write_atomic
from smmile.results.reader import Result, load_results
from smmile.scoring import metric_for, record_correct
from smmile.stats import bootstrap
from smmile.tables import COLUMNS, display_name, latex_table, row_order, text_table
from utils import EXIT_USER_ERROR, run_script, script_parser

VERDICTS = {100.0: 1, 0.0: 0}


def judge_verdicts(path: Path) -> np.ndarray:
    """Per-problem 0/1 verdicts from a judge file's problem_accuracies (100.0 / 0.0)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FileProblem(path, "not UTF-8") from None
    except ValueError as exc:
        raise FileProblem(path, f"not valid JSON ({exc})") from None
    accuracies = data.get("problem_accuracies") if isinstance(data, dict) else None
    if not isinstance(accuracies, dict) or not accuracies:
        raise FileProblem(path, "no problem_accuracies")
    verdicts = []
    for pid, value in accuracies.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) not in VERDICTS:
            raise FileProblem(path, f"problem_accuracies[{pid!r}] is {value!r}, expected 100.0 or 0.0")
        verdicts.append(VERDICTS[float(value)])
    return np.array(verdicts, dtype=np.int8)


def correctness(
    results: list[Result], folder: Path
) -> tuple[dict[tuple[str, str, str], np.ndarray], list[str]]:
    """{(model, metric, mode): 0/1 vector} for every non-ablation result, and judge-file problems."""
    vectors: dict[tuple[str, str, str], np.ndarray] = {}
    problems = []
    for result in results:
        key = result.key
        if key is None or key.ablation is not None:
            continue
        metric = metric_for(key.task_format)
        vectors[(key.model, metric, key.inference_mode)] = np.array(
            [record_correct(r, metric) for r in result.records], dtype=np.int8
        )
        judge = folder / f"{result.output_stem}_evaluationllm.json"
        if metric == "EM" and judge.is_file():
            try:
                vectors[(key.model, "LLM", key.inference_mode)] = judge_verdicts(judge)
            except (FileProblem, OSError) as exc:
                problems.append(f"error: {exc}")
    return vectors, problems


def interval_lines(cells: dict[str, Any]) -> list[str]:
    lines = []
    for model in [m for group in row_order(list(cells)) for m in group]:
        for metric, mode in COLUMNS:
            c = cells[model].get(metric, {}).get(mode)
            if c:
                lines.append(
                    f"{display_name(model)} {metric} {mode}: {c['accuracy']:.2f} ± {c['std']:.2f} "
                    f"(95% CI {c['ci_low']:.2f} to {c['ci_high']:.2f}; n={c['n']})"
                )
    return lines


def write(path: Path, text: str) -> None:
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", help="folder of result files")
    parser.add_argument(
        "--generate_table",
        "--generate-table",
        dest="generate_table",
        action="store_true",
        help="also write the LaTeX table",
    )
    parser.add_argument(
        "--latex_output",
        "--latex-output",
        dest="latex_output",
        default=None,
        help="LaTeX table path, RESULTS_DIR/latex_table.tex unless given",
    )
    parser.add_argument(
        "--mean_only",
        "--mean-only",
        dest="mean_only",
        action="store_true",
        help="LaTeX cells show the accuracy only",
    )
    parser.add_argument(
        "--n-bootstrap",
        "--n_bootstrap",
        dest="n_bootstrap",
        type=int,
        default=1000,
        help="bootstrap resamples",
    )
    parser.add_argument("--seed", type=int, default=42, help="bootstrap seed")
    args = parser.parse_args(argv)
    if args.n_bootstrap < 1:
        raise UserError("--n-bootstrap must be at least 1")

    folder = Path(args.results_dir)
    results, notes = load_results(folder)
    vectors, judge_problems = correctness(results, folder)
    for line in notes + judge_problems:
        print(line, file=sys.stderr)
    if not vectors:
        return EXIT_USER_ERROR

    cells: dict[str, Any] = {}
    for (model, metric, mode), vector in sorted(vectors.items()):
        stats = bootstrap(vector, n_boot=args.n_bootstrap, seed=args.seed)
        cells.setdefault(model, {}).setdefault(metric, {})[mode] = stats.as_dict()

    table = text_table(cells)
    summary = (
        f"Accuracy (%) ± bootstrap SD ({args.n_bootstrap} resamples, seed {args.seed})\n\n"
        + table
        + "\n"
        + "\n".join(interval_lines(cells))
        + "\n"
    )
    write(folder / "evaluation_results.txt", summary)
    write(folder / "evaluation_results.json", json.dumps(cells, indent=2) + "\n")
    print(summary, end="")
    if args.generate_table:
        latex_path = Path(args.latex_output) if args.latex_output else folder / "latex_table.tex"
        write(latex_path, latex_table(cells, mean_only=args.mean_only))
        print(f"LaTeX table written to {latex_path}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
