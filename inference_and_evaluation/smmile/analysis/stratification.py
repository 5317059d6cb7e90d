"""Accuracy within each value of each problem flag: `model_stratification_{em,llm}.json`.

Per-problem accuracy (0 or 100) averaged within each value of every `flag_*` key, of `speciality`,
of `flag_num_ICL` and of whether the first / last in-context answer equals the query's (0-shot:
0 / False). This harness's JSONL records carry these facts in `record.metadata`; the authors' CSVs
carry none, so their flags come from the dataset (`problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smmile.analysis.caveats import result_caveats
from smmile.analysis.order import MODE_ORDER, in_row_order
from smmile.data.problems import CONTEXT_FLAGS, context_facts
from smmile.errors import UserError
from smmile.results.outputs import Stratification, StratificationEntry
from smmile.results.reader import Result
from smmile.results.scores import JudgeFiles
from smmile.scoring import record_correct
from smmile.types import Problem, ResultRecord

EVAL_TYPES: dict[str, str] = {"em": "EM", "llm": "LLM", "mcqa": "MCQA"}  # eval type -> metric
SPECIALITY = "speciality"
DATASET_HINT = "pass --dataset smmile|augmented (hub access, HF_TOKEN) or --dataset-path PATH (a local copy)"
_MAX_LISTED = 3


def listed(items: Sequence[str], limit: int = _MAX_LISTED) -> str:
    """A short, comma-separated list ("a, b, c and 4 more")."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def value_key(value: Any) -> str:
    """A flag value as a JSON key, as the authors wrote them: `true`/`false`, `None`, `3`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "None" if value is None else str(value)


def value_order(key: str) -> tuple[int, float, str]:
    """false before true, numbers by value, then text; `None` last."""
    if key in ("false", "true"):
        return (0, float(key == "true"), "")
    try:
        return (1, float(key), "")
    except ValueError:
        return (3, 0.0, "") if key == "None" else (2, 0.0, key.lower())


def context_flags(problem: Problem, inference_mode: str) -> dict[str, Any]:
    """A problem's flags as a plain run showed it (0-shot: no examples, so 0 / False / False)."""
    return context_facts(problem, with_examples=inference_mode == "ICL")


def flag_names(flag_sets: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every `flag_*` key (first seen first), then `speciality`, then the in-context facts."""
    seen: dict[str, None] = {}
    for flags in flag_sets:
        seen.update(dict.fromkeys(k for k in flags if k.startswith("flag_") and k not in CONTEXT_FLAGS))
        seen.update(dict.fromkeys(k for k in flags if k == SPECIALITY or k in CONTEXT_FLAGS))
    rest = [k for k in seen if k not in CONTEXT_FLAGS and k != SPECIALITY]
    return rest + [k for k in (SPECIALITY, *CONTEXT_FLAGS) if k in seen]


def stratify(verdicts: Mapping[str, int], flags: Mapping[str, Mapping[str, Any]]) -> StratificationEntry:
    """One entry of the JSON: for each flag, accuracy (mean of 0/100), total and correct per value.

    `verdicts` maps problem_id to 1/0; `flags` problem_id to its flags (problems without are left out).
    """
    entry: StratificationEntry = {}
    scored = [pid for pid in verdicts if pid in flags]
    for name in flag_names(flags[pid] for pid in scored):
        totals: dict[str, int] = {}
        correct: dict[str, int] = {}
        for pid in scored:
            if name not in flags[pid]:
                continue
            key = value_key(flags[pid][name])
            totals[key] = totals.get(key, 0) + 1
            correct[key] = correct.get(key, 0) + int(verdicts[pid])
        keys = sorted(totals, key=value_order)
        entry[f"{name}_accuracy"] = {k: correct[k] / totals[k] * 100.0 for k in keys}
        entry[f"{name}_total"] = {k: totals[k] for k in keys}
        entry[f"{name}_correct"] = {k: correct[k] for k in keys}
    return entry


# --- from results to the table ------------------------------------------------------------------


@dataclass
class Scored:
    """One plain result under the eval type's metric, ready to stratify."""

    result: Result
    verdicts: dict[str, int]
    flags: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        assert self.result.key is not None
        return f"{self.result.key.model}:{self.result.key.inference_mode}"


def record_flags(
    record: ResultRecord, inference_mode: str, problems: Mapping[str, Problem] | None
) -> dict[str, Any] | None:
    """The record's own flags (JSONL), else the dataset's for its problem, else None."""
    if record.metadata:
        return dict(record.metadata)
    if problems is not None and record.problem_id in problems:
        return context_flags(problems[record.problem_id], inference_mode)
    return None


def _wanted_format(eval_type: str) -> str:
    return "mcqa" if eval_type == "mcqa" else "open"


def collect_scored(
    results: Sequence[Result],
    judged: JudgeFiles,
    eval_type: str,
    problems: Mapping[str, Problem] | None = None,
    dataset_label: str = "the dataset",
) -> tuple[list[Scored], list[str]]:
    """The plain results of the eval type's format with their verdicts (llm: from `judged`, whose
    folder the messages name) and flags, and warnings.

    Raises a UserError (one line) when nothing can be stratified: no result of that format, no
    judge file (llm), or no flags (CSV results without a dataset).
    """
    if eval_type not in EVAL_TYPES:
        raise ValueError(f"unknown eval type {eval_type!r}; expected one of {', '.join(EVAL_TYPES)}")
    folder = judged.folder
    fmt = _wanted_format(eval_type)
    candidates = [
        r
        for r in results
        if r.key is not None and r.records and not r.key.ablation and r.key.task_format == fmt
    ]
    if not candidates:
        raise UserError(f"{folder}: no {fmt}-format result to stratify by {EVAL_TYPES[eval_type]}")
    notes: list[str] = []
    scored: list[Scored] = []
    no_judge: list[str] = []
    no_flags: list[str] = []
    not_in_dataset: list[str] = []
    for result in candidates:
        assert result.key is not None
        if eval_type == "llm":
            judge = judged.of(result)
            if judge.problem is not None:
                notes.append(f"error: {judge.problem}")
                continue
            if judge.verdicts is None:
                no_judge.append(judge.name)
                continue
            verdicts = judge.verdicts
        else:
            verdicts = {r.problem_id: int(record_correct(r, EVAL_TYPES[eval_type])) for r in result.records}
        by_pid = {r.problem_id: r for r in result.records}
        flags: dict[str, dict[str, Any]] = {}
        for pid in verdicts:
            rec = by_pid.get(pid)
            found = (
                record_flags(rec, result.key.inference_mode, problems)
                if rec is not None
                else (
                    context_flags(problems[pid], result.key.inference_mode)
                    if problems is not None and pid in problems
                    else None
                )
            )
            if found is not None:
                flags[pid] = found
        if not flags:
            (no_flags if problems is None else not_in_dataset).append(result.name)
            continue
        if len(flags) < len(verdicts):
            notes.append(
                f"warning: {result.name}: {len(verdicts) - len(flags)} of {len(verdicts)} problem(s) have "
                f"no flags (not in {dataset_label}); left out of the stratification"
            )
        scored.append(Scored(result, verdicts, flags))
    if no_judge:
        line = f"no judge verdicts for {listed(no_judge)} in {folder}: run evaluate_LLMJudge.py on the folder first"
        if not scored and not no_flags and not not_in_dataset:
            raise UserError(line)
        notes.append(f"warning: {line}; those results are left out")
    if no_flags:
        line = (
            f"{len(no_flags)} result(s) in {folder} carry no flags (speciality, flag_*; the authors' CSVs "
            f"have none), e.g. {no_flags[0]}: stratifying them needs the dataset: {DATASET_HINT}"
        )
        if not scored:
            raise UserError(line)
        notes.append(f"warning: {line}; left out")
    if not_in_dataset:
        line = (
            f"none of the problems of {listed(not_in_dataset)} are in {dataset_label} "
            f"(SMMILE++ results need --dataset augmented, SMMILE results --dataset smmile)"
        )
        if not scored:
            raise UserError(line)
        notes.append(f"warning: {line}; left out")
    if not scored:  # every candidate's judge file was unreadable
        reasons = "; ".join(n.removeprefix("error: ") for n in notes[:2])
        raise UserError(f"{folder}: nothing to stratify: {reasons}")
    return scored, notes


def _label_order(labels: Iterable[str]) -> list[str]:
    split = [label.rsplit(":", 1) for label in labels]
    models = in_row_order([m for m, _ in split])
    rank = {m: i for i, m in enumerate(models)}
    mode_rank = {m: i for i, m in enumerate(MODE_ORDER)}
    return [
        f"{m}:{mode}"
        for m, mode in sorted(split, key=lambda x: (rank[x[0]], mode_rank.get(x[1], len(MODE_ORDER)), x[1]))
    ]


def stratification_table(scored: Sequence[Scored]) -> Stratification:
    """{"<model>:<mode>": entry}, rows in the paper's model order, 0-shot before ICL."""
    entries = {s.label: stratify(s.verdicts, s.flags) for s in scored}
    return {label: entries[label] for label in _label_order(entries)}


def table_flags(table: Stratification) -> list[str]:
    """The flags a table holds, in the order of its entries."""
    names: dict[str, None] = {}
    for entry in table.values():
        names.update(dict.fromkeys(k.removesuffix("_accuracy") for k in entry if k.endswith("_accuracy")))
    return list(names)


def flag_values(table: Stratification, flag: str) -> list[str]:
    values: set[str] = set()
    for entry in table.values():
        values.update(entry.get(f"{flag}_accuracy", {}))
    return sorted(values, key=value_order)


def scored_marks(scored: Sequence[Scored], metric: str) -> dict[str, list[str]]:
    """The caveat marks of each row (`<model>:<mode>`): its result's, as every table marks them."""
    return {s.label: result_caveats(s.result, metric, n=len(s.verdicts)).marks for s in scored}
