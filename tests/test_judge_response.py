"""The judge's `{response}`: the generated answer as the authors' pandas read it back from a CSV."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from helpers import PUBLISHED, record

from smmile.judge.judging import PANDAS_NA_STRINGS, as_read_by_pandas, judge_prompt, judge_texts
from smmile.results.reader import load_results
from smmile.types import ResultRecord

NEAR_MISSES = [
    " None",
    "None ",
    "none",
    "NONE",
    "n/A",
    "Null",
    "NAN",
    "nan.",
    "None of the above",
    "NA-positive",
    "0",
    "-",
]


def _pandas_default_na() -> set[str]:
    """pandas' own list of default missing-value strings (a private name; read_csv is the fallback)."""
    try:
        from pandas._libs.parsers import STR_NA_VALUES
    except ImportError:  # pragma: no cover - a pandas that moved it: probe read_csv below instead
        return set()
    return set(STR_NA_VALUES)


CANDIDATES = sorted(set(PANDAS_NA_STRINGS) | _pandas_default_na() | set(NEAR_MISSES))


def _pandas_reads_missing(values: list[str]) -> list[bool]:
    """What pandas.read_csv (defaults, as the authors called it) makes of each value in a column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["problem_id", "generated_answer"])
    writer.writerows([f"p{i}", v] for i, v in enumerate(values))
    frame = pd.read_csv(io.StringIO(out.getvalue()))
    return frame["generated_answer"].isna().tolist()


def test_the_missing_strings_are_pandas_own():
    if _pandas_default_na():
        assert _pandas_default_na() == PANDAS_NA_STRINGS
    missing = dict(zip(CANDIDATES, _pandas_reads_missing(CANDIDATES), strict=True))
    assert {v for v, is_na in missing.items() if is_na} == set(PANDAS_NA_STRINGS)


@pytest.mark.parametrize("value", CANDIDATES)
def test_response_reads_as_pandas_read_it(value):
    (pandas_missing,) = _pandas_reads_missing([value])
    rec = ResultRecord("p1", final_question="Q?", true_answer="None", generated_answer=value)
    prompt = judge_prompt(rec)
    want = "nan" if pandas_missing else value
    assert as_read_by_pandas(value) == want
    assert f'The AI model outputs "{want}" as its response.' in prompt
    assert 'The correct answer to this question is: "None".' in prompt  # only {response} is re-read


def test_authors_csv_and_our_jsonl_give_the_same_prompts(tmp_path):
    answers = ["None", "", "NA", "null", "None of the above", "Red."]
    (tmp_path / "csv").mkdir()
    (tmp_path / "jsonl").mkdir()
    csv_path = tmp_path / "csv" / "result_modelA_ICL_open.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["problem_id", "final_question", "true_answer", "generated_answer", "full_response"])
        writer.writerows([f"p{i}", "Q?", "Red.", a, a] for i, a in enumerate(answers))
    jsonl_path = tmp_path / "jsonl" / "result_modelA_ICL_open.jsonl"
    jsonl_path.write_text(
        "".join(
            json.dumps(
                record(
                    f"p{i}", answer=None if a == "" else a, truth="Red.", final_question="Q?", model="modelA"
                )
            )
            + "\n"
            for i, a in enumerate(answers)
        ),
        encoding="utf-8",
    )
    from_csv = judge_texts(load_results(tmp_path / "csv")[0])
    from_jsonl = judge_texts(load_results(tmp_path / "jsonl")[0])
    assert len(from_csv) == len(answers)
    assert from_csv == from_jsonl
    sent = [p.split('The AI model outputs "')[1].split('" as its response')[0] for p in from_csv]
    assert sent == ["nan", "nan", "nan", "nan", "None of the above", "Red."]


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")
def test_published_open_answers_that_pandas_read_as_missing_reach_the_judge_as_nan():
    results, _ = load_results(PUBLISHED)
    open_results = [r for r in results if r.key is not None and r.key.task_format == "open"]
    texts = judge_texts(open_results)
    frames = [pd.read_csv(path) for r in open_results for path in r.files]
    missing = sum(int(frame["generated_answer"].isna().sum()) for frame in frames)
    assert missing > 0
    assert sum('The AI model outputs "nan" as its response.' in t for t in texts) == missing
