"""Per-problem outcomes (1 right / 0 wrong) of every result and metric: what the statistics resample.

EM and MCQA come from the records; LLM from the judge's `<stem>_evaluationllm.json` beside an
open result (its problem_accuracies, 100.0 or 0.0 per problem; read by `results.scores`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from smmile.analysis.caveats import Caveats, result_caveats, saved_caveats
from smmile.analysis.order import STRICT
from smmile.errors import FileProblem
from smmile.results.evaluations import accuracy_verdicts
from smmile.results.naming import JUDGE_SUFFIX, ResultKey
from smmile.results.reader import Result
from smmile.results.scores import JudgeFiles, SavedScores
from smmile.scoring import metric_for, record_correct


@dataclass(frozen=True)
class Outcomes:
    """One result under one metric: problem_id -> 1/0, in the result's record order."""

    key: ResultKey
    metric: str
    by_problem: dict[str, int]
    caveats: Caveats | None = field(default=None, compare=False)  # what its table cell must mark

    @property
    def vector(self) -> np.ndarray:
        return np.fromiter(self.by_problem.values(), dtype=np.int8, count=len(self.by_problem))


def collect_outcomes(results: list[Result], judged: JudgeFiles) -> tuple[list[Outcomes], list[str]]:
    """Outcomes of every readable result (ablations included) and one line per unusable judge file."""
    out: list[Outcomes] = []
    problems: list[str] = []
    for result in results:
        if result.key is None or not result.records:
            continue
        metric = metric_for(result.key.task_format)
        by_problem = {r.problem_id: int(record_correct(r, metric)) for r in result.records}
        out.append(Outcomes(result.key, metric, by_problem, result_caveats(result, metric)))
        judge = judged.of(result)
        if metric == "EM" and judge.present:
            if judge.verdicts is None:
                problems.append(f"error: {judge.problem}")
                continue
            verdicts = judge.verdicts
            out.append(Outcomes(result.key, "LLM", verdicts, result_caveats(result, "LLM", n=len(verdicts))))
    return out, problems


def unjudged_cells(results: list[Result], judged: JudgeFiles) -> dict[tuple[str, str, str], Caveats]:
    """{(model, "LLM", mode): caveats} of the plain results whose judge file is incomplete: cells
    a table marks but shows no number for."""
    out: dict[tuple[str, str, str], Caveats] = {}
    for result in results:
        key = result.key
        if key is None or key.ablation or key.task_format != "open" or not result.records:
            continue
        judge = judged.of(result)
        if judge.incomplete:
            unjudged = int(judge.unjudged_count or 0) or len(result.records)
            judged_n = len(result.records) - unjudged
            out[(key.model, "LLM", key.inference_mode)] = result_caveats(result, "LLM", judged_n, unjudged)
    return out


def saved_outcomes(saved: Sequence[SavedScores]) -> tuple[list[Outcomes], list[str]]:
    """Outcomes of the saved scores (`*_evaluation.json`, `*_evaluationllm.json`) whose result
    file is not in the folder (e.g. a published score without its model outputs), marked as such,
    and one line per unusable or set-aside file."""
    out: list[Outcomes] = []
    notes: list[str] = []
    for group in saved:
        notes += group.notes
        for s in group.evaluations:
            if s.key.ablation:
                continue
            try:
                verdicts = accuracy_verdicts(s.path, s.data)
            except FileProblem as exc:
                notes.append(f"warning: {exc}; this saved score without a result file is left out")
                continue
            metric = "LLM" if group.suffix == JUDGE_SUFFIX else metric_for(s.key.task_format)
            out.append(Outcomes(s.key, metric, verdicts, saved_caveats(s, verdicts)))
            notes.append(
                f"warning: {s.path.name}: no result file beside it; its saved score is used as published"
            )
    return out, notes


def strict_outcomes(results: Sequence[Result]) -> list[Outcomes]:
    """Exact match on the raw strings of every plain open result (what --strict-match scores)."""
    return [
        Outcomes(
            r.key,
            STRICT,
            {x.problem_id: int(record_correct(x, "EM", strict=True)) for x in r.records},
            result_caveats(r, "EM"),
        )
        for r in results
        if r.key is not None and r.records and r.key.ablation is None and r.key.task_format == "open"
    ]


def paired(a: dict[str, int], b: dict[str, int]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The outcomes of the problems both have, aligned (sorted by problem_id)."""
    common = sorted(a.keys() & b.keys())
    return (
        np.array([a[p] for p in common], dtype=np.int8),
        np.array([b[p] for p in common], dtype=np.int8),
        common,
    )
