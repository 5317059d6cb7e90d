"""What the report page shows, as typed records the template lays out: per problem its examples
and query with their pictures, the true answer and every result's answer with its verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from smmile.analysis.stratification import SPECIALITY, value_key
from smmile.present.report.answers import AnswerView, ProblemView
from smmile.present.report.filters import Filter, build_filters
from smmile.present.report.images import ImageStore, Picture
from smmile.present.report.summary import Summary, run_label
from smmile.results.records import is_error
from smmile.types import Problem

RESPONSE_LIMIT = 2000  # the most characters of an MCQA reply's full response shown


@dataclass(frozen=True)
class Shot:
    """An example (its question and answer) or the query (no answer), with its picture."""

    title: str
    picture: Picture
    question: str
    answer: str | None = None


@dataclass(frozen=True)
class Reply:
    """An answer as shown. `error`: the error message; `option`: the chosen letter and its text,
    the options offered with the correct letter, the full response (cut to RESPONSE_LIMIT);
    `text`: the open answer."""

    kind: Literal["error", "option", "text"]
    text: str
    letter: str = ""
    options: tuple[tuple[str, str], ...] = ()
    correct: str = ""
    response: str = ""


@dataclass(frozen=True)
class AnswerRow:
    """One result's answer to a problem. `outcome`: the tokens the Answer filter matches;
    `examples_shown`: the examples an ICL prompt showed, when not the problem's own in order."""

    model: str
    label: str
    mode: str
    task_format: str
    outcome: str
    examples_shown: str | None
    reply: Reply
    em: bool | None
    mcqa: bool | None
    judge: bool | None


@dataclass(frozen=True)
class ProblemCard:
    """One problem. `flags`: `key=value` tokens the Flag filter matches; `search`: the lowercased
    text the search box matches; `shots`: None when the report has no dataset."""

    anchor: str
    problem_id: str
    speciality: str
    flags: tuple[str, ...]
    search: str
    tags: tuple[tuple[str, str], ...]
    shots: tuple[Shot, ...] | None
    question: str
    true_answer: str
    answers: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    summary: Summary
    filters: tuple[Filter, ...]
    problems: tuple[ProblemCard, ...]

    @property
    def total(self) -> int:
        return len(self.problems)


def _reply(a: AnswerView) -> Reply:
    rec = a.record
    if is_error(rec):
        return Reply("error", rec.error or str(rec.generated_answer))
    if a.task_format == "mcqa":
        full = rec.full_response or ""
        return Reply(
            "option",
            rec.generated_answer or "",
            letter=rec.selected_option or "?",
            options=tuple(rec.options.items()) if rec.options else (),
            correct=rec.correct_option or "?",
            response=full if len(full) <= RESPONSE_LIMIT else full[:RESPONSE_LIMIT] + " …",
        )
    return Reply("text", rec.generated_answer if rec.generated_answer is not None else "(no answer)")


def _outcome(a: AnswerView) -> str:
    tokens = []
    main = a.em if a.em is not None else a.mcqa
    if main is not None:
        tokens.append("right" if main else "wrong")
    if a.judge is not None:
        tokens.append("judge-right" if a.judge else "judge-wrong")
    if is_error(a.record):
        tokens.append("error")
    return " ".join(tokens)


def _examples_shown(a: AnswerView, problem: Problem | None) -> str | None:
    seen = a.record.examples_seen
    if problem is None or seen is None or a.mode != "ICL":
        return None
    if list(seen) == [t.order for t in problem.examples]:
        return None
    return ", ".join(str(s) for s in seen) or "none"


def _answer_row(a: AnswerView, problem: Problem | None) -> AnswerRow:
    return AnswerRow(
        model=a.model,
        label=run_label(a.model, a.ablation),
        mode=a.mode,
        task_format=a.task_format,
        outcome=_outcome(a),
        examples_shown=_examples_shown(a, problem),
        reply=_reply(a),
        em=a.em,
        mcqa=a.mcqa,
        judge=a.judge,
    )


def _shots(problem: Problem | None, store: ImageStore) -> tuple[Shot, ...] | None:
    if problem is None:
        return None
    examples = [
        Shot(f"Example {k}", store.picture(ex.image, f"example {k}"), ex.question, ex.answer)
        for k, ex in enumerate(problem.examples, start=1)
    ]
    return (*examples, Shot("Query", store.picture(problem.query.image, "query"), problem.query.question))


def _flag_tokens(flags: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(f"{k}={value_key(v)}" for k, v in flags.items())


def problem_card(index: int, view: ProblemView, store: ImageStore) -> ProblemCard:
    """The card of `view`, the `index`-th on the page; its pictures come from `store`."""
    flags = view.flags
    search = " ".join(
        [view.problem_id, view.question, view.true_answer]
        + [str(a.record.generated_answer or "") for a in view.answers]
    )
    return ProblemCard(
        anchor=f"p{index}",
        problem_id=view.problem_id,
        speciality=value_key(flags.get(SPECIALITY)) if SPECIALITY in flags else "",
        flags=_flag_tokens(flags),
        search=search.lower(),
        tags=tuple((k, value_key(v)) for k, v in flags.items()),
        shots=_shots(view.problem, store),
        question=view.question,
        true_answer=view.true_answer,
        answers=tuple(_answer_row(a, view.problem) for a in view.answers),
    )


def build_page(
    title: str, subtitle: str, views: Sequence[ProblemView], summary: Summary, store: ImageStore
) -> Page:
    """The page of `views` under `summary`; each picture is made (or written) by `store`."""
    return Page(
        title=title,
        subtitle=subtitle,
        summary=summary,
        filters=build_filters(views),
        problems=tuple(problem_card(i, v, store) for i, v in enumerate(views)),
    )
