"""Bootstrap the accuracy of every result: observed accuracy, SD and 95% interval per cell.

    python variance_analysis.py RESULTS_DIR [--generate_table] [--latex_output F] [--mean_only]
        [--gain-models M ...] [--gain-exclude M ...]

Cells: EM from open results, MCQA from mcqa results, LLM from the judge's
<result>_evaluationllm.json beside an open result. Writes evaluation_results.txt and
evaluation_results.json (and the LaTeX table with --generate_table) into RESULTS_DIR and prints
the table. Ablation runs (e.g. result_qwen7B_ICL_open.order-reversed.jsonl) are compared with
their plain run, problem by problem, in ablations.txt / ablations.json (/ ablations.tex); the ICL
gain (ICL - 0-shot, paired over problems) goes to icl_gain.txt / icl_gain.json (/ icl_gain.tex), and
the accuracy and ICL-gain figures to --figures-dir. The average ICL gain (absolute, and the mean of the
per-model relative gains) covers every model with both modes, or those of --gain-models, less those
of --gain-exclude; the paper's SMMILE++ headline: --gain-exclude llavamed llama33textonly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from smmile.analysis.ablations import ablation_table
from smmile.analysis.cells import accuracy_cells
from smmile.analysis.icl_gain import ALL_MODELS, GainSelection, gain_document, icl_gains
from smmile.analysis.order import METRIC_ORDER, METRICS_WITH_STRICT
from smmile.analysis.outcomes import (
    Outcomes,
    collect_outcomes,
    saved_outcomes,
    strict_outcomes,
    unjudged_cells,
)
from smmile.io import write_atomic
from smmile.present.ablations import ablation_latex, ablation_text
from smmile.present.icl_gain import gain_latex, gain_text
from smmile.present.tables import evaluation_results_text, latex_table
from smmile.results.naming import (
    ABLATIONS,
    ACCURACY_FIGURE,
    EVALUATION_RESULTS,
    GAIN_FIGURE,
    ICL_GAIN,
    LATEX_TABLE,
    figure_stem,
)
from smmile.results.outputs import Cells, Gains
from smmile.results.reader import check_single_dataset, load_results
from smmile.results.scores import read_judge_files, read_saved_scores
from utils import (
    EXIT_USER_ERROR,
    add_bootstrap_args,
    add_figure_args,
    check_bootstrap_args,
    run_main,
    script_parser,
)


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
        "--gain-models",
        "--gain_models",
        dest="gain_models",
        nargs="+",
        metavar="MODEL",
        default=None,
        help="the models the average ICL gain covers (default: every model with 0-shot and ICL results)",
    )
    parser.add_argument(
        "--gain-exclude",
        "--gain_exclude",
        dest="gain_exclude",
        nargs="+",
        metavar="MODEL",
        default=[],
        help="models the average ICL gain leaves out (e.g. llavamed llama33textonly)",
    )
    parser.add_argument(
        "--strict-match",
        "--strict_match",
        dest="strict_match",
        action="store_true",
        help="also show exact match on the raw strings (EM strict) beside EM",
    )
    add_bootstrap_args(parser)
    add_figure_args(parser, "the accuracy and ICL-gain figures")
    args = parser.parse_args(argv)
    check_bootstrap_args(args)

    folder = Path(args.results_dir)
    results, notes = load_results(folder)
    judged = read_judge_files(folder, results)
    outcomes, judge_problems = collect_outcomes(results, judged)
    saved, saved_notes = saved_outcomes(read_saved_scores(folder))
    have = {(o.key.model, o.metric, o.key.inference_mode) for o in outcomes if o.key.ablation is None}
    saved = [o for o in saved if (o.key.model, o.metric, o.key.inference_mode) not in have]
    check_single_dataset(results, folder, [(f"the saved score of {o.key.stem}", o.by_problem) for o in saved])
    outcomes += saved
    for line in notes + judge_problems + saved_notes:
        print(line, file=sys.stderr)
    plain = sorted((o for o in outcomes if o.key.ablation is None), key=lambda o: (o.key.model, o.metric))
    if not outcomes:
        return EXIT_USER_ERROR

    strict = strict_outcomes(results) if args.strict_match else []
    cells = accuracy_cells([*plain, *strict], n_boot=args.n_bootstrap, seed=args.seed)
    unscored = {k: c for k, c in unjudged_cells(results, judged).items() if k not in have}
    metrics = METRICS_WITH_STRICT if args.strict_match else METRIC_ORDER
    summary = evaluation_results_text(cells, unscored, metrics, args.n_bootstrap, args.seed)
    if cells:
        write_atomic(folder / EVALUATION_RESULTS.txt, summary)
        write_atomic(folder / EVALUATION_RESULTS.json, json.dumps(cells, indent=2) + "\n")
        print(summary, end="")
        if args.generate_table:
            latex_path = Path(args.latex_output) if args.latex_output else folder / LATEX_TABLE
            write_atomic(
                latex_path, latex_table(cells, mean_only=args.mean_only, unscored=unscored, metrics=metrics)
            )
            print(f"LaTeX table written to {latex_path}")
    write_ablations(folder, outcomes, args)
    write_icl_gain(
        folder,
        outcomes,
        generate_table=args.generate_table,
        n_boot=args.n_bootstrap,
        seed=args.seed,
        figures_dir=Path(args.figures_dir) if args.figures else None,
        cells=cells,
        selection=GainSelection(
            tuple(args.gain_models) if args.gain_models is not None else None, tuple(args.gain_exclude)
        ),
    )
    return 0


def write_ablations(folder: Path, outcomes: list[Outcomes], args: argparse.Namespace) -> None:
    """ablations.{txt,json} (and .tex with --generate_table) when the folder holds ablation runs."""
    table, notes = ablation_table(outcomes, n_boot=args.n_bootstrap, seed=args.seed)
    for line in notes:
        print(line, file=sys.stderr)
    if not table:
        return
    text = (
        f"Ablations against the plain run, paired over the same problems "
        f"({args.n_bootstrap} resamples, seed {args.seed}); differences in points\n\n" + ablation_text(table)
    )
    write_atomic(folder / ABLATIONS.txt, text)
    write_atomic(folder / ABLATIONS.json, json.dumps(table, indent=2) + "\n")
    print("\n" + text, end="")
    if args.generate_table:
        write_atomic(folder / ABLATIONS.tex, ablation_latex(table))
        print(f"Ablation table written to {folder / ABLATIONS.tex}")


def write_icl_gain(
    folder: Path,
    outcomes: Sequence[Outcomes],
    generate_table: bool = False,
    n_boot: int = 1000,
    seed: int = 42,
    figures_dir: Path | None = None,
    cells: Cells | None = None,
    selection: GainSelection = ALL_MODELS,
) -> Gains:
    """icl_gain.{txt,json} (and .tex with `generate_table`), the table and the averages printed;
    with `figures_dir`, the forest plot of the gains and, given `cells` (evaluation_results.json),
    the accuracy-per-model figure. A UserError when the selection names a model without a gain."""
    gains, notes = icl_gains(outcomes, n_boot=n_boot, seed=seed)
    selection.check(gains)
    for line in notes:
        print(line, file=sys.stderr)
    text = gain_text(gains, n_boot, seed, selection)
    write_atomic(folder / ICL_GAIN.txt, text)
    write_atomic(folder / ICL_GAIN.json, json.dumps(gain_document(gains, selection), indent=2) + "\n")
    print("\n" + text, end="")
    if generate_table:
        write_atomic(folder / ICL_GAIN.tex, gain_latex(gains, selection))
        print(f"ICL gain table written to {folder / ICL_GAIN.tex}")
    if figures_dir is not None:
        from smmile.present.plots import accuracy_figure, icl_gain_figure

        drawn: list[Path] = []
        if cells:
            drawn += accuracy_figure(cells, figure_stem(figures_dir, folder, ACCURACY_FIGURE))
        if gains:
            drawn += icl_gain_figure(gains, figure_stem(figures_dir, folder, GAIN_FIGURE))
        else:
            print("No ICL gain figure: no model has both 0-shot and ICL results")
        if drawn:
            print("Figures: " + ", ".join(str(p) for p in drawn))
    return gains


if __name__ == "__main__":
    run_main(main)
