"""LaTeX output escapes every special character: latex_table.tex, icl_gain.tex and ablations.tex
render model names and cells holding all of `\\ & % $ # _ { } ~ ^` literally, with the right
number of columns in every row, and compile where pdflatex is installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from smmile.present.ablations import ablation_latex
from smmile.present.icl_gain import gain_latex
from smmile.present.tables import COLUMNS, latex_escape, latex_table

SPECIALS = "\\&%$#_{}~^"
HOSTILE = "m\\o&d%e$l#_{x}~y^z"  # a model id holding every special character
TAG = "tag_&%$#{}~^\\"
# one model's ICL gain (icl_gain.tex) and one ablation's difference from the base run (ablations.tex)
GAIN = {"gain": 5.0, "ci_low": -1.0, "ci_high": 9.0, "n": 111, "accuracy_0-shot": 40.0, "accuracy_ICL": 45.0}
DIFF = {"mode": "ICL", "format": "open", "accuracy": 40.0, "base_accuracy": 42.0, "diff": -2.0,
        "ci_low": -5.0, "ci_high": 1.0, "n": 111}  # fmt: skip
UNESCAPE = {
    r"\textbackslash{}": "\\",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    **{"\\" + c: c for c in "&%$#_{}"},
}
_ESCAPED = re.compile("|".join(re.escape(k) for k in sorted(UNESCAPE, key=len, reverse=True)))
_SEPARATOR = re.compile(r"(?<!\\)&")


def unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: UNESCAPE[m.group(0)], text)


def rows(tex: str) -> list[list[str]]:
    """The body rows (`... \\\\`) split into cells at unescaped `&`."""
    out = []
    for line in tex.splitlines():
        if line.endswith(r"\\") and not line.startswith((" &", "Model")):
            out.append([c.strip() for c in _SEPARATOR.split(line.removesuffix(r"\\"))])
    return out


def cell(accuracy: float) -> dict:
    return {"accuracy": accuracy, "std": 1.5, "ci_low": accuracy - 3, "ci_high": accuracy + 3, "n": 111}


def test_escape_covers_every_special_character():
    escaped = latex_escape(SPECIALS)
    assert unescape(escaped) == SPECIALS
    bare = _ESCAPED.sub("", escaped)
    assert not any(c in bare for c in SPECIALS), bare  # nothing special is left unescaped
    assert latex_escape("plain-name 7B") == "plain-name 7B"


def test_results_table_escapes_model_names():
    cells = {HOSTILE: {m: {mode: cell(40.0) for mode in ("0-shot", "ICL")} for m, _ in COLUMNS[::2]}}
    tex = latex_table(cells)
    (row,) = rows(tex)
    assert len(row) == 1 + len(COLUMNS) and unescape(row[0]) == HOSTILE


def test_icl_gain_table_escapes_model_names():
    tex = gain_latex({HOSTILE: {"EM": GAIN, "LLM": GAIN}})
    model_row, average, relative, *notes = rows(tex)
    assert len(model_row) == 3 and unescape(model_row[0]) == HOSTILE
    assert average[0] == "Average" and relative == ["Average relative", r"$+12.5\%$", r"$+12.5\%$"]
    assert len(notes) == 2 and all(len(n) == 1 and unescape(n[0]).endswith(HOSTILE + "}") for n in notes)


def test_ablation_table_escapes_model_names_and_tags():
    tex = ablation_latex({HOSTILE: {TAG: {"EM": DIFF}}})
    (row,) = rows(tex)
    assert len(row) == 6 and unescape(row[0]) == HOSTILE
    assert row[1].startswith(r"\texttt{") and unescape(row[1][len(r"\texttt{") : -1]) == TAG


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_every_table_compiles(tmp_path):
    tables = {
        "latex_table.tex": latex_table(
            {HOSTILE: {"EM": {"ICL": cell(40.0)}}, "qwen7B": {"LLM": {"0-shot": cell(3.0)}}}
        ),
        "icl_gain.tex": gain_latex({HOSTILE: {"EM": GAIN}}),
        "ablations.tex": ablation_latex({HOSTILE: {TAG: {"EM": DIFF}}}),
    }
    for name, tex in tables.items():
        (tmp_path / name).write_text(tex, encoding="utf-8")
    body = "\n".join(f"\\input{{{name}}}\\par" for name in tables)
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n"
        f"\\begin{{document}}\n{body}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").is_file()


def test_a_cell_of_another_n_shows_it_and_the_usual_n_is_printed_under_the_table():
    short = {**cell(50.0), "n": 8}
    cells = {"modelA": {m: {mode: cell(40.0) for mode in ("0-shot", "ICL")} for m, _ in COLUMNS[::2]}}
    cells["modelB"] = {m: {"0-shot": cell(40.0), "ICL": short} for m, _ in COLUMNS[::2]}
    lines = latex_table(cells).splitlines()
    body = "\n".join(lines)
    assert r"{\scriptsize $n{=}8$}" in body and r"$n{=}111$" not in body  # only the odd n is in a cell
    assert (
        lines[lines.index(r"\end{tabular}") + 1]
        == r"\par{\footnotesize $n=111$ problems per cell unless shown.}"
    )
    clean = latex_table({"modelA": cells["modelA"]}).splitlines()
    assert clean[-1] == r"\end{tabular}"  # a table of one n needs no line under it
