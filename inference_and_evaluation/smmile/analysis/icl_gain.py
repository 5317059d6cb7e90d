"""The ICL gain: ICL minus 0-shot accuracy per model and metric, with a paired bootstrap interval.

Only the problems present in both modes count, and the bootstrap resamples those problems (the
same draw for both modes), so the interval respects the pairing. Gains are in points; a model's
relative gain is its gain over its 0-shot accuracy, in percent.

The averages follow the paper's headline definition: per metric, the mean of the per-model gains
(absolute, points) and the mean of the per-model relative gains (percent), over the models a
`GainSelection` picks (`--gain-models`, `--gain-exclude`; by default every model with both modes).
Each average states the models it covers. `icl_gain.json` is `outputs.GainDocument`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smmile.analysis.caveats import LEGEND
from smmile.analysis.order import METRIC_ORDER, in_row_order
from smmile.analysis.outcomes import Outcomes, paired
from smmile.analysis.stats import paired_bootstrap
from smmile.errors import UserError
from smmile.results.outputs import Gain, GainAverage, GainDocument, Gains, GainSelectionJSON


def icl_gains(outcomes: Sequence[Outcomes], n_boot: int = 1000, seed: int = 42) -> tuple[Gains, list[str]]:
    """Gains of every model and metric with both plain 0-shot and ICL runs; warnings for pairs
    that share no problem or only some."""
    plain = {(o.key.model, o.metric, o.key.inference_mode): o for o in outcomes if o.key.ablation is None}
    gains: Gains = {}
    notes: list[str] = []
    for (model, metric, mode), icl in sorted(plain.items()):
        zero = plain.get((model, metric, "0-shot"))
        if mode != "ICL" or zero is None:
            continue
        a, b, common = paired(zero.by_problem, icl.by_problem)
        if not common:
            notes.append(f"warning: {model} {metric}: 0-shot and ICL share no problem; no ICL gain")
            continue
        if len(common) < max(len(zero.by_problem), len(icl.by_problem)):
            notes.append(
                f"warning: {model} {metric}: ICL gain over the {len(common)} problem(s) both modes have "
                f"(0-shot {len(zero.by_problem)}, ICL {len(icl.by_problem)})"
            )
        diff = paired_bootstrap(a, b, n_boot=n_boot, seed=seed)
        gain: Gain = {
            "gain": diff.diff,
            "ci_low": diff.ci_low,
            "ci_high": diff.ci_high,
            "n": diff.n,
            "accuracy_0-shot": diff.base_accuracy,
            "accuracy_ICL": diff.accuracy,
            "relative_gain": relative_gain(diff.diff, diff.base_accuracy),
        }
        gains.setdefault(model, {})[metric] = gain
        marks = [m for m in LEGEND if any(m in (o.caveats.marks if o.caveats else ()) for o in (zero, icl))]
        if marks:  # a gain inherits the caveats of the two cells it is made of
            gain["marks"] = marks
    return {m: gains[m] for m in in_row_order(list(gains))}, notes


def relative_gain(gain: float, base_accuracy: float | None) -> float | None:
    """The gain over the 0-shot accuracy, in percent; None when the 0-shot accuracy is 0 (or unknown)."""
    return None if not base_accuracy else gain / base_accuracy * 100.0


@dataclass(frozen=True)
class GainSelection:
    """Which models the averages cover: `models` (None: every model with a gain) minus `exclude`."""

    models: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

    def covers(self, model: str) -> bool:
        return (self.models is None or model in self.models) and model not in self.exclude

    def check(self, gains: Mapping[str, Any]) -> None:
        """A named model without an ICL gain is refused (a typo would silently change an average)."""
        for flag, names in (("--gain-models", self.models or ()), ("--gain-exclude", self.exclude)):
            unknown = [m for m in names if m not in gains]
            if unknown:
                have = ", ".join(gains) or "none"
                raise UserError(f"{flag}: no ICL gain for {', '.join(unknown)} (models with one: {have})")

    def describe(self) -> GainSelectionJSON:
        return {
            "models": list(self.models) if self.models is not None else None,
            "exclude": list(self.exclude),
        }


ALL_MODELS = GainSelection()


def _relative(g: Mapping[str, Any]) -> float | None:
    if "relative_gain" in g:
        return g["relative_gain"]
    return relative_gain(g["gain"], g.get("accuracy_0-shot"))


def average_gains(
    gains: Mapping[str, Mapping[str, Mapping[str, Any]]], selection: GainSelection = ALL_MODELS
) -> dict[str, GainAverage]:
    """Per metric: the mean gain and the mean relative gain over the selected models that have one
    (the relative mean is None when no model has one)."""
    out: dict[str, GainAverage] = {}
    for metric in METRIC_ORDER:
        having = [m for m, g in gains.items() if metric in g]
        chosen = [m for m in having if selection.covers(m)]
        if not chosen:
            continue
        absolute = sum(gains[m][metric]["gain"] for m in chosen) / len(chosen)
        rel = {m: _relative(gains[m][metric]) for m in chosen}
        defined = [m for m in chosen if rel[m] is not None]
        out[metric] = {
            "mean_gain": absolute,
            "models": len(chosen),
            "absolute": {"mean": absolute, "models": chosen},
            "relative": {
                "mean": sum(rel[m] for m in defined) / len(defined) if defined else None,  # type: ignore[misc]
                "models": defined,
                "undefined": [m for m in chosen if rel[m] is None],
            },
            "left_out": [m for m in having if m not in chosen],
        }
    return out


def gain_document(gains: Gains, selection: GainSelection = ALL_MODELS) -> GainDocument:
    """What `icl_gain.json` holds: the gains, the selection of the averages, the averages."""
    return {"gains": gains, "selection": selection.describe(), "averages": average_gains(gains, selection)}
