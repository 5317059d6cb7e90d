from __future__ import annotations

import math

import numpy as np
import pytest

from smmile.analysis.stats import BootstrapResult, bootstrap
from smmile.present.tables import (
    comparison_table,
    display_name,
    latex_name,
    latex_table,
    row_order,
    text_table,
)

# --- bootstrap ---------------------------------------------------------------------------------


def _vector(hits: int, n: int) -> np.ndarray:
    return np.array([1] * hits + [0] * (n - hits))


def test_observed_accuracy_is_exact():
    res = bootstrap(_vector(37, 111))
    assert res.accuracy == 37 / 111 * 100
    assert res.n == 111


@pytest.mark.parametrize("hits", [5, 30, 55, 90])
def test_sd_is_close_to_the_binomial_standard_error(hits):
    res = bootstrap(_vector(hits, 111))
    p = hits / 111
    se = 100 * math.sqrt(p * (1 - p) / 111)
    assert res.std == pytest.approx(se, rel=0.12)
    assert res.ci_low < res.accuracy < res.ci_high
    assert res.ci_high - res.ci_low == pytest.approx(2 * 1.96 * se, rel=0.2)


def test_bootstrap_is_the_documented_index_matrix():
    values = _vector(20, 50)
    rng = np.random.default_rng(7)
    means = values[rng.integers(0, 50, size=(300, 50))].mean(axis=1) * 100
    res = bootstrap(values, n_boot=300, seed=7)
    assert res.std == pytest.approx(float(means.std()))
    assert res.ci_low == pytest.approx(float(np.percentile(means, 2.5)))
    assert res.ci_high == pytest.approx(float(np.percentile(means, 97.5)))


def test_bootstrap_is_seeded():
    values = _vector(40, 111)
    assert bootstrap(values, seed=42) == bootstrap(values, seed=42)
    assert bootstrap(values, seed=42) != bootstrap(values, seed=43)
    assert bootstrap(values.astype(bool)) == bootstrap(values)


def test_bootstrap_degenerate_and_bad_input():
    assert bootstrap(np.zeros(111)) == BootstrapResult(0.0, 0.0, 0.0, 0.0, 111)
    assert bootstrap(np.ones(3)).accuracy == 100.0
    with pytest.raises(ValueError):
        bootstrap(np.array([]))
    with pytest.raises(ValueError):
        bootstrap(np.array([0, 1, 2]))
    with pytest.raises(ValueError):
        bootstrap(np.ones((2, 2)))
    with pytest.raises(ValueError):
        bootstrap(np.ones(3), n_boot=0)


def test_as_dict_shape():
    assert set(bootstrap(_vector(1, 2)).as_dict()) == {"accuracy", "std", "ci_low", "ci_high", "n"}


# --- tables ------------------------------------------------------------------------------------


def cell(acc: float, sd: float = 1.0) -> dict:
    return {"accuracy": acc, "std": sd, "ci_low": acc - 2, "ci_high": acc + 2, "n": 111}


CELLS = {
    "qwen72B": {"EM": {"ICL": cell(16.216216, 3.5)}, "MCQA": {"0-shot": cell(52.25), "ICL": cell(54.95)}},
    "random": {"EM": {"ICL": cell(23.42)}},
    "gpt-4o": {"LLM": {"0-shot": cell(32.43), "ICL": cell(49.55)}, "EM": {"0-shot": cell(0.0, 0.0)}},
    "qwen7B": {"EM": {"ICL": cell(22.52)}},
    "llama33textonly": {"EM": {"0-shot": cell(0.0, 0.0)}},
    "majority": {"EM": {"ICL": cell(27.03)}},
    "my_new_model": {"MCQA": {"ICL": cell(10.0)}},
}


def test_row_order():
    baselines, others = row_order(list(CELLS))
    assert baselines == ["majority", "random", "llama33textonly"]
    assert others == ["gpt-4o", "my_new_model", "qwen7B", "qwen72B"]
    assert row_order(["qwen7B", "random"]) == (["random"], ["qwen7B"])


def test_display_names():
    assert latex_name("llama33textonly") == "Text only$^*$"
    assert display_name("llama33textonly") == "Text only*"
    assert latex_name("llavamed") == "LLaVA-Med$^{**}$"
    assert display_name("qwen32B") == "Qwen2.5-VL-32B"
    assert latex_name("my_new_model") == r"my\_new\_model"
    assert display_name("my_new_model") == "my_new_model"


def test_latex_layout():
    lines = latex_table(CELLS).splitlines()
    assert lines[0] == r"\begin{tabular}{lcccccc}" and lines[1] == r"\toprule"
    assert lines[-2:] == [r"\bottomrule", r"\end{tabular}"]
    header = next(i for i, line in enumerate(lines) if line.startswith("Model &"))
    assert lines[header] == r"Model & 0-shot & ICL & 0-shot & ICL & 0-shot & ICL \\"
    assert "LLM" in lines[header - 2] and lines[header - 2].index("LLM") < lines[header - 2].index("EM")
    body = lines[header + 1 : -2]
    assert body[0] == r"\midrule"
    names = [line.split(" & ")[0] for line in body if "&" in line]
    assert names == [
        "Majority",
        "Random",
        "Text only$^*$",
        "GPT-4o",
        r"my\_new\_model",
        "Qwen2.5-VL-7B",
        "Qwen2.5-VL-72B",
    ]
    assert body[4] == r"\midrule"  # right after the three baselines
    assert sum(line == r"\midrule" for line in lines) == 2
    qwen72 = next(line for line in body if line.startswith("Qwen2.5-VL-72B"))
    assert qwen72 == (
        r"Qwen2.5-VL-72B & - & - & - & $16.22 \pm \scriptstyle{3.50}$ & "
        r"$52.25 \pm \scriptstyle{1.00}$ & $54.95 \pm \scriptstyle{1.00}$ \\"
    )
    majority = body[1]
    assert majority.split(" & ")[1:3] == ["-", "-"]


def test_latex_mean_only_and_no_baselines():
    lines = latex_table({"qwen72B": CELLS["qwen72B"]}, mean_only=True).splitlines()
    assert r"Qwen2.5-VL-72B & - & - & - & 16.22 & 52.25 & 54.95 \\" in lines
    assert sum(line == r"\midrule" for line in lines) == 1
    assert "pm" not in "".join(lines)


def test_text_table():
    lines = text_table(CELLS).splitlines()
    assert lines[0].split(" | ")[0].strip() == "Model"
    assert [c.strip() for c in lines[0].split(" | ")[1:]] == [
        "LLM 0-shot",
        "LLM ICL",
        "EM 0-shot",
        "EM ICL",
        "MCQA 0-shot",
        "MCQA ICL",
    ]
    rows = [line for line in lines if " | " in line][1:]
    assert [r.split(" | ")[0].strip() for r in rows][:3] == ["Majority", "Random", "Text only*"]
    assert set(lines[1]) == {"-"} and set(lines[5]) == {"-"}  # header rule, then the baselines' rule
    qwen72 = next(r for r in rows if r.startswith("Qwen2.5-VL-72B"))
    assert [c.strip() for c in qwen72.split(" | ")[1:]] == [
        "-",
        "-",
        "-",
        "16.22 ± 3.50 n=111",
        "52.25 ± 1.00 n=111",
        "54.95 ± 1.00 n=111",
    ]
    assert "[a]" not in "".join(lines) and len(lines) == 10  # clean cells: no marks, no legend


def _evaluation(model: str, mode: str, metric: str, accuracy: float, **extra) -> dict:
    base = {
        "model": model,
        "inference_mode": mode,
        "metric": metric,
        "accuracy": accuracy,
        "excluded_count": 0,
        "total_examples": 111,
        "err_count": 0,
        "word_count": 1.0,
    }
    return {**base, **extra}


def test_comparison_table_order():
    evals = [
        _evaluation("a", "ICL", "EM", 10.0, err_count=2),
        _evaluation("b", "ICL", "EM", 30.0, excluded_count=1, total_examples=110, word_count=4.0),
        _evaluation("c", "0-shot", "EM", 5.0),
        _evaluation("d", "0-shot", "MCQA", 50.0),
        _evaluation("e", "ICL", "EM", 20.0, ablation="order-reversed"),
    ]
    text = comparison_table(evals)
    rows = [line for line in text.splitlines() if " | " in line]
    assert rows[0].startswith("Model")
    assert [r.split(" | ")[0].strip() for r in rows[1:]] == ["c", "b", "e [order-reversed]", "a", "d"]
    b = [c.strip() for c in rows[2].split(" | ")]
    assert b == ["b", "EM", "ICL", "30.00", "1/110", "0", "4.00"]
