"""Figures: PNG and PDF files that show something, named after what they show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smmile.errors import UserError
from smmile.present.plots import accuracy_figure, icl_gain_figure, save, stratification_heatmap
from smmile.results.naming import figure_stem


def assert_drawn(paths: list[Path], stem: Path) -> None:
    assert paths == [stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".pdf")]
    png, pdf = paths
    with Image.open(png) as img:
        pixels = np.asarray(img.convert("L"), dtype=float)
    assert pixels.std() > 10  # not a blank canvas
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not list(stem.parent.glob(".*"))  # no temporary file left behind


def cell(acc: float) -> dict:
    return {"accuracy": acc, "ci_low": max(acc - 8, 0), "ci_high": min(acc + 8, 100), "n": 111}


def test_figure_names_say_what_and_which_results(tmp_path):
    assert (
        figure_stem(tmp_path, "../results_augmented", "icl_gain_forest").name
        == "results_augmented_icl_gain_forest"
    )
    assert figure_stem(tmp_path / "f", tmp_path / "results", "x") == tmp_path / "f" / "results_x"


def test_accuracy_figure(tmp_path):
    cells = {
        "qwen7B": {"EM": {"0-shot": cell(10), "ICL": cell(30)}, "MCQA": {"ICL": cell(45)}},
        "majority": {"EM": {"ICL": cell(27)}},
        "my-model": {"LLM": {"0-shot": cell(0.0), "ICL": cell(100.0)}},
    }
    stem = tmp_path / "figs" / "results_accuracy_per_model_0shot_vs_ICL"
    assert_drawn(accuracy_figure(cells, stem), stem)


def test_icl_gain_forest(tmp_path):
    gains = {
        "qwen7B": {"LLM": {"gain": 10.8, "ci_low": 0.0, "ci_high": 22.5, "n": 111}},
        "gpt-4o": {
            "LLM": {"gain": 17.1, "ci_low": 8.1, "ci_high": 25.2, "n": 111},
            "EM": {"gain": 9.0, "ci_low": 3.6, "ci_high": 14.4, "n": 111},
        },
    }
    stem = tmp_path / "results_icl_gain_forest"
    assert_drawn(icl_gain_figure(gains, stem), stem)


def test_stratification_heatmap_with_missing_values(tmp_path):
    table = {
        "qwen7B:0-shot": {"speciality_accuracy": {"radiology": 50.0}, "flag_num_ICL_accuracy": {"0": 40.0}},
        "qwen7B:ICL": {
            "speciality_accuracy": {"radiology": 70.0, "surgery": 0.0},
            "flag_num_ICL_accuracy": {"2": 55.0, "10": 100.0},
        },
    }
    stem = tmp_path / "results_stratification_em_heatmap"
    assert_drawn(stratification_heatmap(table, "EM", stem), stem)


def test_nothing_to_draw_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        accuracy_figure({"m": {}}, tmp_path / "a")
    with pytest.raises(ValueError):
        stratification_heatmap({}, "EM", tmp_path / "b")


def test_unwritable_folder_is_one_line(tmp_path):
    from matplotlib.figure import Figure

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot write figures"):
        save(Figure(), blocker / "sub" / "fig")
