"""The report's filters: model, mode, format, speciality, flag and outcome, each a list of choices
(the page's script hides what does not match)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smmile.analysis.order import in_row_order
from smmile.analysis.stratification import SPECIALITY, value_key, value_order
from smmile.present.report.answers import ProblemView
from smmile.present.tables import display_name

# an answer row's outcome tokens (`data-outcome`), as the Answer filter offers them
OUTCOMES = (
    ("right", "EM/MCQA right"),
    ("wrong", "EM/MCQA wrong"),
    ("judge-right", "judge: right"),
    ("judge-wrong", "judge: wrong"),
    ("error", "error"),
)


@dataclass(frozen=True)
class Choice:
    value: str
    text: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Filter:
    """A select (`f-<name>`) whose empty value means all: plain choices, or choices in groups."""

    name: str
    label: str
    choices: tuple[Choice, ...] = ()
    groups: tuple[ChoiceGroup, ...] = ()


def _choices(pairs: Sequence[tuple[str, str]]) -> tuple[Choice, ...]:
    return tuple(Choice(value, text) for value, text in pairs)


def build_filters(views: Sequence[ProblemView]) -> tuple[Filter, ...]:
    """The filters over `views`, with the values they hold."""
    models: dict[str, None] = {}
    modes: set[str] = set()
    formats: set[str] = set()
    specialities: set[str] = set()
    flags: dict[str, set[str]] = {}
    for view in views:
        for a in view.answers:
            models[a.model] = None
            modes.add(a.mode)
            formats.add(a.task_format)
        for k, v in view.flags.items():
            if k == SPECIALITY:
                specialities.add(value_key(v))
            else:
                flags.setdefault(k, set()).add(value_key(v))
    model_order = in_row_order(list(models))
    flag_groups = tuple(
        ChoiceGroup(
            k.removeprefix("flag_").replace("_", " "),
            _choices([(f"{k}={v}", v) for v in sorted(flags[k], key=value_order)]),
        )
        for k in flags
    )
    return (
        Filter("model", "Model", _choices([(m, display_name(m)) for m in model_order])),
        Filter("mode", "Mode", _choices([(m, m) for m in sorted(modes)])),
        Filter("format", "Format", _choices([(f, f) for f in sorted(formats)])),
        Filter("speciality", "Speciality", _choices([(s, s) for s in sorted(specialities, key=value_order)])),
        Filter("flag", "Flag", groups=flag_groups),
        Filter("outcome", "Answer", _choices(OUTCOMES)),
    )
