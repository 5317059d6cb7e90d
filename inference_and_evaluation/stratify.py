"""Accuracy by problem flag: speciality, every flag_*, number of examples, first/last example match.

    python stratify.py [RESULTS_DIR] --eval_type {em,llm,mcqa} [--model M] [--inference-mode ICL]
        [--dataset smmile|augmented|demo | --dataset-path PATH] [--figures-dir ../figures]

Writes model_stratification_<eval_type>.json into RESULTS_DIR, prints one table per flag (rows
model and mode, columns the flag's values, `--` where a model has no problem with that value)
and draws a heatmap into the figures folder. em: exact match of open results; llm: the judge's
<result>_evaluationllm.json; mcqa: option accuracy of mcqa results. This harness's results carry
their flags; the authors' CSVs carry none, so they need --dataset or --dataset-path.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from smmile.analysis.stratification import (
    EVAL_TYPES,
    collect_scored,
    scored_marks,
    stratification_table,
)
from smmile.data.reference import load_reference_dataset
from smmile.io import write_atomic
from smmile.present.stratification import stratification_text
from smmile.results.folder import read_results_folder
from smmile.results.naming import figure_stem, heatmap_name, stratification_name
from smmile.results.scores import read_judge_files
from smmile.types import Problem
from utils import (
    add_dataset_args,
    add_figure_args,
    add_result_filters,
    run_main,
    script_parser,
)


def load_problems(args) -> tuple[Mapping[str, Problem] | None, str, list[str]]:
    """The dataset's problems by id when --dataset / --dataset-path is given, its name, and notes."""
    loaded = load_reference_dataset(args, "the flags")
    if loaded is None:
        return None, "the dataset", []
    notes = []
    if loaded.skipped:
        notes.append(
            f"warning: {len(loaded.skipped)} problem(s) of {loaded.dataset_id} were left out by the loader "
            f"(images missing from {args.image_dir}); their results have no flags here"
        )
    return {p.problem_id: p for p in loaded.problems}, loaded.dataset_id, notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = script_parser(__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", nargs="?", default="../results", help="folder of result files")
    parser.add_argument(
        "--eval_type",
        "--eval-type",
        dest="eval_type",
        choices=list(EVAL_TYPES),
        default="em",
        help="em: exact match (open); llm: the judge's verdicts (open); mcqa: option accuracy",
    )
    add_result_filters(parser, "stratify")
    add_dataset_args(
        parser,
        default=None,
        help="read the flags of results that lack them (the authors' CSVs) from this dataset",
    )
    add_figure_args(parser, "the heatmap")
    args = parser.parse_args(argv)

    folder = Path(args.results_dir)
    found = read_results_folder(folder, "stratify", args.model, args.inference_mode)
    for line in found.notes:
        print(line, file=sys.stderr)
    results = found.checked()
    problems, dataset_label, dataset_notes = load_problems(args)
    judged = read_judge_files(folder, results if args.eval_type == "llm" else [])  # em, mcqa: no judge
    scored, scored_notes = collect_scored(results, judged, args.eval_type, problems, dataset_label)
    for line in dataset_notes + scored_notes:
        print(line, file=sys.stderr)

    table = stratification_table(scored)
    metric = EVAL_TYPES[args.eval_type]
    out = folder / stratification_name(args.eval_type)
    write_atomic(out, json.dumps(table, indent=2) + "\n")
    print(stratification_text(table, metric, scored_marks(scored, metric)), end="")
    print(f"\nStratification of {len(table)} result(s) by {metric} written to {out}")
    if args.figures:
        from smmile.present.plots import stratification_heatmap

        stem = figure_stem(Path(args.figures_dir), folder, heatmap_name(args.eval_type))
        paths = stratification_heatmap(table, metric, stem)
        print(f"Heatmap: {', '.join(str(p) for p in paths)}")
    return 0


if __name__ == "__main__":
    run_main(main)
