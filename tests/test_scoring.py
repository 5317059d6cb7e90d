from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smmile.results.naming import ResultKey
from smmile.results.reader import Result
from smmile.scoring import evaluate_result, exact_match, normalize, record_correct
from smmile.types import ResultRecord

EVALUATION_KEYS = [
    "model",
    "inference_mode",
    "total_examples",
    "original_count",
    "excluded_count",
    "correct_examples",
    "accuracy",
    "err_count",
    "problem_accuracies",
    "incorrect_examples",
    "word_count",
    "metric",
]


def test_normalize_examples():
    assert normalize("Hello, World!") == "hello world"
    assert normalize("  Left   lower\tlobe\n pneumonia.  ") == "left lower lobe pneumonia"
    assert normalize("T2-weighted (MRI)") == "t2weighted mri"
    assert normalize("Café au lait spots") == "café au lait spots"
    assert normalize(None) == "nan"
    assert normalize("") == ""
    assert normalize(3) == "3"


@given(st.text())
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@given(st.text())
def test_normalize_leaves_no_punctuation_and_single_spaces(text):
    out = normalize(text)
    assert not set(out) & set(string.punctuation)
    assert out == out.strip()
    assert "  " not in out
    assert not any(c.isspace() and c != " " for c in out)


@given(st.text(alphabet=string.printable))
def test_normalize_ignores_case(text):
    assert normalize(text.upper()) == normalize(text.lower()) == normalize(text.swapcase())


def test_exact_match_flexible_and_strict():
    assert exact_match("Pneumothorax.", "pneumothorax")
    assert exact_match(" Left  kidney ", "left kidney")
    assert not exact_match("Pneumothorax.", "pneumothorax", strict=True)
    assert exact_match("Pneumothorax", "Pneumothorax", strict=True)
    assert exact_match(None, "NaN")  # a missing answer reads as "nan"
    assert exact_match(None, None, strict=True)
    assert not exact_match("", "nan")


def test_record_correct():
    assert record_correct(ResultRecord("p", true_answer="Yes.", generated_answer="yes"), "EM")
    assert not record_correct(
        ResultRecord("p", true_answer="Yes.", generated_answer="yes"), "EM", strict=True
    )
    failed = ResultRecord("p", true_answer="x", generated_answer="x", status="error")
    assert not record_correct(failed, "EM")  # a failed record is wrong, whatever it holds
    assert record_correct(ResultRecord("p", is_correct=True, selected_option="A", correct_option="B"), "MCQA")
    assert not record_correct(
        ResultRecord("p", is_correct=False, selected_option="A", correct_option="A"), "MCQA"
    )
    assert record_correct(ResultRecord("p", selected_option="C", correct_option="C"), "MCQA")
    assert not record_correct(
        ResultRecord("p", selected_option="EXTRACTION_FAILED", correct_option="C"), "MCQA"
    )
    assert not record_correct(ResultRecord("p"), "MCQA")
    assert not record_correct(
        ResultRecord("p", is_correct=True, status="error", selected_option="A", correct_option="A"), "MCQA"
    )
    with pytest.raises(ValueError):
        record_correct(ResultRecord("p"), "BLEU")


def _result(task_format: str, records: list[ResultRecord], original: int | None = None) -> Result:
    key = ResultKey("qwen7B", "ICL", task_format)
    return Result(
        key=key,
        kind="jsonl",
        files=[Path(key.file_name())],
        output_stem=key.stem,
        records=records,
        original_count=len(records) if original is None else original,
    )


def test_evaluate_open_result():
    records = [
        ResultRecord("a", true_answer="Melanoma", generated_answer="melanoma."),
        ResultRecord("b", true_answer="Psoriasis", generated_answer="Eczema of the hand"),
        ResultRecord("c", true_answer="Gout", generated_answer="ERROR: timeout", status="error"),
        ResultRecord("d", true_answer="nan", generated_answer=None),
    ]
    out = evaluate_result(_result("open", records, original=5))
    assert list(out) == [*EVALUATION_KEYS, "strict_match"]
    assert out["model"] == "qwen7B" and out["inference_mode"] == "ICL"
    assert out["total_examples"] == 4 and out["original_count"] == 5 and out["excluded_count"] == 1
    assert out["correct_examples"] == 2
    assert out["accuracy"] == pytest.approx(50.0)
    assert out["err_count"] == 1
    assert out["problem_accuracies"] == {"a": 100.0, "b": 0.0, "c": 0.0, "d": 100.0}
    assert out["incorrect_examples"] == ["b", "c"]
    assert out["word_count"] == pytest.approx((1 + 4 + 2 + 1) / 4)
    assert out["metric"] == "EM" and out["strict_match"] is False
    strict = evaluate_result(_result("open", records), strict=True)
    assert strict["correct_examples"] == 1 and strict["strict_match"] is True


def test_evaluate_mcqa_result():
    records = [
        ResultRecord("a", selected_option="B", correct_option="B", is_correct=True, generated_answer="Red"),
        ResultRecord("b", selected_option="A", correct_option="C", generated_answer="Blue"),
        ResultRecord("c", selected_option="D", correct_option="D"),
    ]
    out = evaluate_result(_result("mcqa", records))
    assert list(out) == [
        *EVALUATION_KEYS,
        "unreadable_count",
        "extraction_failed_count",
        "invalid_option_count",
    ]
    assert out["unreadable_count"] == 0
    assert out["metric"] == "MCQA"
    assert out["correct_examples"] == 2
    assert out["accuracy"] == pytest.approx(200 / 3)
    assert out["incorrect_examples"] == ["b"]


def test_evaluate_rejects_empty_result():
    with pytest.raises(ValueError):
        evaluate_result(_result("open", []))
