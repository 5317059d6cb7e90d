"""The one record-status rule: the store that resumes, the reader that scores, the judge and the
tables agree on which record failed and which record of a problem counts."""

from __future__ import annotations

from smmile.results.reader import load_results
from smmile.results.records import authors_status, is_error, latest_per_problem
from smmile.results.store import ResultStore
from smmile.scoring import evaluate_result
from smmile.types import ResultRecord


def test_status_is_the_truth_of_our_records():
    assert is_error(ResultRecord("p", status="error"))
    assert not is_error(ResultRecord("p", generated_answer="MEDICATION ERROR"))  # an answer, not a failure
    assert not is_error(ResultRecord("p", generated_answer=None))


def test_the_authors_marker_is_their_status():
    assert authors_status("ERROR: rate limited") == "error"
    assert authors_status("error") == "ok"
    assert authors_status(None) == "ok"


def test_store_and_reader_agree_on_an_ok_answer_holding_error(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    with ResultStore(path) as store:
        store.append(ResultRecord("p1", status="error", error="HTTP 500", true_answer="a"))
        store.append(ResultRecord("p1", generated_answer="ERROR in dosing", true_answer="ERROR in dosing"))
        store.append(ResultRecord("p2", generated_answer="b", true_answer="b"))
        assert store.done == {"p1", "p2"}
    [result], _ = load_results(tmp_path)
    chosen = {r.problem_id: r for r in result.records}
    assert chosen["p1"].generated_answer == "ERROR in dosing" and not is_error(chosen["p1"])
    evaluation = evaluate_result(result)
    assert evaluation["err_count"] == 0 and evaluation["accuracy"] == 100.0


def test_an_authors_csv_row_with_the_marker_is_an_error(tmp_path):
    (tmp_path / "result_m_ICL_open.csv").write_text(
        "problem_id,final_question,true_answer,generated_answer\n"
        "p1,q,yes,ERROR: CUDA out of memory\n"
        "p2,q,no,no\n"
    )
    [result], _ = load_results(tmp_path)
    chosen = {r.problem_id: r for r in result.records}
    assert is_error(chosen["p1"]) and not is_error(chosen["p2"])
    assert evaluate_result(result)["err_count"] == 1


def test_the_last_answer_counts_else_the_last_failure():
    chosen = latest_per_problem(
        [
            ResultRecord("a", status="error"),
            ResultRecord("a", generated_answer="1"),
            ResultRecord("a", status="error"),
            ResultRecord("b", status="error", error="first"),
            ResultRecord("b", status="error", error="second"),
        ]
    )
    assert chosen["a"].generated_answer == "1"
    assert chosen["b"].error == "second"
