"""Every result's answers gathered per problem, with their verdicts (EM, MCQA, the judge's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smmile.analysis.order import in_row_order
from smmile.analysis.stratification import CONTEXT_FLAGS
from smmile.results.reader import Result
from smmile.results.scores import JudgeFiles
from smmile.scoring import metric_for, record_correct
from smmile.types import Problem, ResultRecord


@dataclass
class AnswerView:
    """One result's answer to one problem, with its verdicts (None: not scored that way)."""

    model: str
    mode: str
    task_format: str
    ablation: str | None
    record: ResultRecord
    em: bool | None = None
    mcqa: bool | None = None
    judge: bool | None = None


@dataclass
class ProblemView:
    """One problem: its question and true answer, the dataset's problem (None without the
    dataset), the flags it can be filtered by, and every result's answer to it."""

    problem_id: str
    question: str
    true_answer: str
    problem: Problem | None
    flags: dict[str, Any] = field(default_factory=dict)
    answers: list[AnswerView] = field(default_factory=list)


def _judges(result: Result, judged: JudgeFiles, notes: list[str]) -> dict[str, int]:
    if result.key is None or result.key.task_format != "open":
        return {}
    judge = judged.of(result)
    if judge.problem is not None:
        notes.append(f"error: {judge.problem}")
    return judge.verdicts or {}


def _static_flags(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The problem's own facts: the per-run context flags are no problem filter."""
    return {k: v for k, v in metadata.items() if k not in CONTEXT_FLAGS}


def _ranked(results: Sequence[Result]) -> list[Result]:
    """The readable results: models in the tables' row order, each plain run before its
    ablations, open before MCQA, 0-shot before ICL."""
    usable = [r for r in results if r.key is not None and r.records]
    models = in_row_order([r.key.model for r in usable if r.key])
    rank = {m: i for i, m in enumerate(models)}

    def run_order(r: Result) -> tuple[int, bool, bool, bool, str]:
        key = r.key
        assert key is not None
        return (
            rank[key.model],
            key.ablation is not None,
            key.task_format != "open",
            key.inference_mode != "0-shot",
            key.ablation or "",
        )

    return sorted(usable, key=run_order)


def build_views(
    results: Sequence[Result], judged: JudgeFiles, problems: Mapping[str, Problem] | None
) -> tuple[list[ProblemView], list[str]]:
    """One view per problem any result answered (sorted by id, with the verdicts of `judged`), and
    warning lines."""
    notes: list[str] = []
    views: dict[str, ProblemView] = {}
    for result in _ranked(results):
        key = result.key
        assert key is not None
        verdicts = _judges(result, judged, notes)
        metric = metric_for(key.task_format)
        for rec in result.records:
            view = views.get(rec.problem_id)
            if view is None:
                problem = problems.get(rec.problem_id) if problems is not None else None
                view = ProblemView(
                    problem_id=rec.problem_id,
                    question=problem.query.question if problem else (rec.final_question or ""),
                    true_answer=problem.query.answer if problem else (rec.true_answer or ""),
                    problem=problem,
                    flags=_static_flags(problem.metadata if problem else rec.metadata),
                )
                views[rec.problem_id] = view
            elif not view.flags and rec.metadata:
                view.flags = _static_flags(rec.metadata)
            answer = AnswerView(key.model, key.inference_mode, key.task_format, key.ablation, rec)
            correct = record_correct(rec, metric)
            if metric == "EM":
                answer.em = correct
            else:
                answer.mcqa = correct
            if rec.problem_id in verdicts:
                answer.judge = bool(verdicts[rec.problem_id])
            view.answers.append(answer)
    if problems is not None:
        absent = [pid for pid in views if pid not in problems]
        if absent:
            notes.append(
                f"warning: {len(absent)} problem(s) of the results are not in the dataset (e.g. {absent[0]}); "
                "they are shown without examples"
            )
    return [views[pid] for pid in sorted(views)], notes
