"""Figures (PNG and PDF): accuracy per model, the ICL gain forest plot, stratification heatmaps.

Drawn on matplotlib `Figure` objects with the Agg canvas: no display and no global backend state.
File names say what a figure shows: `<results folder>_<what>.{png,pdf}` (`naming.figure_stem`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from smmile.analysis.order import METRIC_ORDER, MODE_ORDER, display_name, in_row_order
from smmile.errors import FileProblem, UserError
from smmile.io import atomic_target
from smmile.results.outputs import Cells, Gains, Stratification

FORMATS = ("png", "pdf")
MODE_STYLE = {"0-shot": {"color": "#8c8c8c", "marker": "o"}, "ICL": {"color": "#1f5fa8", "marker": "s"}}
GAIN_COLOR = "#b2452c"
MISSING_COLOR = "#d9d9d9"


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig: Any, stem: str | Path) -> list[Path]:
    """Write `<stem>.png` (150 dpi) and `<stem>.pdf`, each atomically; a failure is one line."""
    stem = Path(stem)
    paths = []
    try:
        for fmt in FORMATS:
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_target(path) as tmp:
                metadata = {"CreationDate": None} if fmt == "pdf" else None
                fig.savefig(tmp, format=fmt, dpi=150, metadata=metadata)
            paths.append(path)
    except FileProblem as exc:
        raise UserError(f"{stem.parent}: cannot write figures ({exc.problem})") from None
    return paths


def _panels(table: Mapping[str, Mapping[str, Any]], what: str, size: tuple[float, float, float]):
    """A figure with one panel per metric any model of `table` has, the models as rows (the paper's
    order, top down): (figure, axes, metrics, models, row positions). `size`: inches per panel, per
    row, and added to the height."""
    metrics = [m for m in METRIC_ORDER if any(m in table[model] for model in table)]
    if not metrics:
        raise ValueError(f"no {what} to draw")
    models = in_row_order(list(table))
    y = np.arange(len(models))[::-1]
    per_panel, per_row, extra = size
    fig = _figure(per_panel * len(metrics) + 1.8, per_row * len(models) + extra)
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    return fig, axes, metrics, models, y


def _interval_bars(
    ax: Any, rows: Sequence[tuple[float, Mapping[str, Any]]], key: str, **style: Any
) -> np.ndarray:
    """Each row's `key` at its height with its 95% interval (`ci_low`, `ci_high`) as horizontal
    bars; returns the values."""
    value = np.array([c[key] for _, c in rows])
    low = np.array([c["ci_low"] for _, c in rows])
    high = np.array([c["ci_high"] for _, c in rows])
    xerr = [np.clip(value - low, 0, None), np.clip(high - value, 0, None)]
    ax.errorbar(value, [yy for yy, _ in rows], xerr=xerr, linestyle="none", capsize=2, markersize=4, **style)
    return value


def _name_rows(axes: Any, y: np.ndarray, models: Sequence[str]) -> None:
    axes[0].set_yticks(y, [display_name(m) for m in models])
    axes[0].set_ylim(-0.7, len(models) - 0.3)


def accuracy_figure(cells: Cells, stem: str | Path) -> list[Path]:
    """Accuracy per model with its 95% interval, 0-shot beside ICL, one panel per metric.

    `cells`: those of evaluation_results.json.
    """
    fig, axes, metrics, models, y = _panels(cells, "accuracy", (3.6, 0.34, 1.4))
    for ax, metric in zip(axes, metrics, strict=True):
        for offset, mode in zip((0.17, -0.17), MODE_ORDER, strict=True):
            rows = [
                (yy + offset, c)
                for yy, model in zip(y, models, strict=True)
                if (c := cells[model].get(metric, {}).get(mode)) is not None
            ]
            if rows:
                _interval_bars(ax, rows, "accuracy", label=mode, **MODE_STYLE[mode])
        ax.set_title(metric)
        ax.set_xlim(-3, 103)
        ax.set_xlabel("accuracy (%)")
        ax.grid(axis="x", alpha=0.3)
    _name_rows(axes, y, models)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        if not handles:
            handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle("Accuracy per model (95% bootstrap interval)")
    return save(fig, stem)


def icl_gain_figure(gains: Gains, stem: str | Path) -> list[Path]:
    """Forest plot: ICL minus 0-shot per model with its paired 95% interval, one panel per metric;
    the dashed line is the mean gain across models."""
    fig, axes, metrics, models, y = _panels(gains, "gain", (3.4, 0.3, 1.3))
    for ax, metric in zip(axes, metrics, strict=True):
        rows = [(yy, g) for yy, m in zip(y, models, strict=True) if (g := gains[m].get(metric)) is not None]
        ax.axvline(0, color="black", linewidth=0.8)
        mean = float(_interval_bars(ax, rows, "gain", marker="D", color=GAIN_COLOR).mean())
        ax.axvline(mean, color=GAIN_COLOR, linestyle="--", linewidth=0.8)
        ax.set_title(f"{metric} (mean {mean:+.1f})")
        ax.set_xlabel("ICL − 0-shot (points)")
        ax.grid(axis="x", alpha=0.3)
    _name_rows(axes, y, models)
    fig.suptitle("ICL gain over 0-shot (paired bootstrap 95% interval)")
    return save(fig, stem)


SHORT_FLAGS = {
    "flag_answer_format": "answer format",
    "flag_image_type": "image",
    "flag_cognitive_process": "process",
    "flag_rarity": "rarity",
    "flag_difficulty_llms": "difficulty",
    "speciality": "speciality",
    "flag_num_ICL": "examples",
    "flag_first_ICL_match_problem": "first ex. = query",
    "flag_last_ICL_match_problem": "last ex. = query",
}


def short_flag(flag: str) -> str:
    return SHORT_FLAGS.get(flag, flag.removeprefix("flag_").replace("_", " "))


def stratification_heatmap(table: Stratification, metric: str, stem: str | Path) -> list[Path]:
    """One heatmap: rows model and mode, columns every flag's values (`flag: value`, grouped by
    flag); grey where a model has no problem with that value."""
    from matplotlib import colormaps

    from smmile.analysis.stratification import flag_values, table_flags
    from smmile.present.stratification import row_label

    labels = list(table)
    columns = [(flag, value) for flag in table_flags(table) for value in flag_values(table, flag)]
    if not labels or not columns:
        raise ValueError("no stratification to draw")
    grid = np.full((len(labels), len(columns)), np.nan)
    for i, label in enumerate(labels):
        for j, (flag, value) in enumerate(columns):
            acc = table[label].get(f"{flag}_accuracy", {})
            if value in acc:
                grid[i, j] = acc[value]
    fig = _figure(0.26 * len(columns) + 3.6, 0.26 * len(labels) + 2.6)
    ax = fig.subplots()
    cmap = colormaps["viridis"].with_extremes(bad=MISSING_COLOR)
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    for (i, j), v in np.ndenumerate(grid):
        if not np.isnan(v):
            ax.text(
                j, i, f"{v:.0f}", ha="center", va="center", fontsize=4.5, color="white" if v < 60 else "black"
            )
    starts = [j for j in range(1, len(columns)) if columns[j][0] != columns[j - 1][0]]
    for j in starts:
        ax.axvline(j - 0.5, color="white", linewidth=2.5)
    ax.set_xticks(range(len(columns)), [f"{short_flag(f)}: {v}" for f, v in columns], rotation=90, fontsize=6)
    ax.set_yticks(range(len(labels)), [row_label(label) for label in labels], fontsize=7)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01, label=f"{metric} accuracy (%)")
    ax.set_title(f"Accuracy by problem flag ({metric}); grey: no problem with that value", fontsize=9)
    return save(fig, stem)
