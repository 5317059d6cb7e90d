"""A results folder's saved scores, read once: what the analysis takes instead of the folder.

Per open result, its judge file (`<stem>_evaluationllm.json`): the verdicts, or why there are
none (absent, unreadable, incomplete), with the file's name for messages; and the saved
evaluations whose result file is not in the folder (published scores without model outputs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smmile.errors import FileProblem
from smmile.results.evaluations import (
    SavedEvaluation,
    is_complete,
    judge_name,
    judge_verdicts,
    read_evaluations,
    read_judge_data,
)
from smmile.results.naming import EM_SUFFIX, JUDGE_SUFFIX, evaluation_name, parse_result_name
from smmile.results.reader import Result


@dataclass(frozen=True)
class JudgeFile:
    """One result's judge file as read: its verdicts, or why it gives none."""

    name: str  # the file's name
    present: bool = False
    verdicts: dict[str, int] | None = None
    problem: str | None = None  # why a present file gives no verdicts: "<path>: <what is wrong>"
    incomplete: bool = False  # it holds no score: records the judge left unjudged
    unjudged_count: Any = None  # as the file gives it
    judge: str | None = None  # `backend:model` of the judge it names


@dataclass(frozen=True)
class JudgeFiles:
    """The judge files of a folder's open results, by output stem; `folder` is for messages."""

    folder: Path
    files: Mapping[str, JudgeFile]

    def of(self, result: Result) -> JudgeFile:
        """`result`'s judge file (absent when it was not read)."""
        stem = result.output_stem
        return self.files.get(stem) or JudgeFile(evaluation_name(stem, JUDGE_SUFFIX))


def read_judge_file(path: Path) -> JudgeFile:
    """The judge file at `path`, read."""
    if not path.is_file():
        return JudgeFile(path.name)
    try:
        data = read_judge_data(path)
    except (FileProblem, OSError) as exc:
        return JudgeFile(path.name, present=True, problem=str(exc))
    incomplete = isinstance(data, dict) and not is_complete(data)
    facts: dict[str, Any] = {
        "incomplete": incomplete,
        "unjudged_count": data.get("unjudged_count") if incomplete else None,
        "judge": judge_name(data),
    }
    try:
        return JudgeFile(path.name, True, verdicts=judge_verdicts(path, data), **facts)
    except FileProblem as exc:
        return JudgeFile(path.name, True, problem=str(exc), **facts)


def read_judge_files(folder: str | Path, results: Iterable[Result]) -> JudgeFiles:
    """The judge files of the open results in `folder`."""
    folder = Path(folder)
    stems = dict.fromkeys(r.output_stem for r in results if r.key is not None and r.key.task_format == "open")
    return JudgeFiles(folder, {s: read_judge_file(folder / evaluation_name(s, JUDGE_SUFFIX)) for s in stems})


@dataclass(frozen=True)
class SavedScores:
    """The saved evaluations of one kind (`suffix`) whose result file is not in the folder, and
    one line per unusable file."""

    suffix: str
    evaluations: tuple[SavedEvaluation, ...]
    notes: tuple[str, ...]


def read_saved_scores(folder: str | Path) -> tuple[SavedScores, ...]:
    """The saved exact-match / MCQA scores, then the judge's, of the stems without a result file."""
    folder = Path(folder)
    stems = {f.output_stem for f in map(parse_result_name, folder.iterdir()) if f is not None}
    out = []
    for suffix in (EM_SUFFIX, JUDGE_SUFFIX):
        saved, notes = read_evaluations(folder, suffix, skip_stems=stems)
        out.append(SavedScores(suffix, tuple(saved), tuple(notes)))
    return tuple(out)
