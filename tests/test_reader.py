from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import PUBLISHED, record

from smmile.errors import UserError
from smmile.results.naming import ResultKey
from smmile.results.reader import Result, discover_results, load_results, one_per_key
from smmile.scoring import evaluate_result, record_correct

OPEN_COLUMNS = ["problem_id", "final_question", "true_answer", "generated_answer", "full_response"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail, encoding="utf-8")
    return path


def only(results: list[Result]) -> Result:
    assert len(results) == 1, results
    return results[0]


def test_csv_quirks_survive(tmp_path):
    rows = [
        ["p1", "What is it?", "Hydropneumothorax, left", "hydropneumothorax, left.", 'said "x, y"\nthen z'],
        ["p2", "Colour?", 'The "black" one', 'the "black" one', ""],
        ["p3", "Which?", "Œdème pulmonaire", "œdème   pulmonaire ", "x"],
        ["p4", "Line?", "first\nsecond", "First second", "x"],
        ["p5", "Empty?", "nan", "", ""],
        ["p6", "Empty truth?", "", "NaN", "x"],
        ["p7", "Wrong?", "Gout", "Pseudogout", "x"],
    ]
    write_csv(tmp_path / "result_llava_7b_ICL.csv", OPEN_COLUMNS, rows)
    result = only(discover_results(tmp_path))
    assert result.key == ResultKey("llava_7b", "ICL", "open")
    assert result.kind == "csv" and not result.problems and not result.warnings
    assert result.output_stem == "result_llava_7b_ICL"
    by_id = {r.problem_id: r for r in result.records}
    assert by_id["p1"].full_response == 'said "x, y"\nthen z'
    assert by_id["p3"].generated_answer == "œdème   pulmonaire "
    assert by_id["p4"].true_answer == "first\nsecond"
    assert by_id["p5"].generated_answer is None and by_id["p5"].full_response is None
    assert by_id["p1"].model == "llava_7b" and by_id["p1"].task_format == "open"
    verdicts = [record_correct(r, "EM") for r in result.records]
    assert verdicts == [True, True, True, True, True, True, False]
    assert evaluate_result(result)["word_count"] == pytest.approx((2 + 3 + 2 + 2 + 1 + 1 + 1) / 7)


def test_csv_with_bom_and_crlf(tmp_path):
    path = tmp_path / "result_qwen3B_0-shot_open.csv"
    path.write_bytes(
        b'\xef\xbb\xbfproblem_id,true_answer,generated_answer\r\np1,Yes,yes\r\np2,"a\r\nb",a b\r\n'
    )
    result = only(discover_results(tmp_path))
    assert not result.problems
    assert [r.problem_id for r in result.records] == ["p1", "p2"]
    assert result.records[1].true_answer == "a\r\nb"


def test_mcqa_csv_and_medvlm_column_names(tmp_path):
    write_csv(
        tmp_path / "result_qwen7B_ICL_mcqa.csv",
        [
            "problem_id",
            "final_question",
            "true_answer",
            "correct_option",
            "selected_option",
            "is_correct",
            "generated_answer",
        ],
        [["p1", "q", "Red", "B", "B", "True", "Red"], ["p2", "q", "Blue", "A", "C", "False", "Green"]],
    )
    write_csv(
        tmp_path / "result_MedVLM-R1_0-shot_mcqa.csv",
        [
            "problem_id",
            "original_question",
            "correct_letter",
            "correct_answer",
            "extracted_answer",
            "is_correct",
            "full_response",
        ],
        [
            ["p1", "Which colour?", "D", "Black.", "D", "True", "<answer>D</answer>"],
            ["p2", "Diagnosis?", "A", "Gout", "EXTRACTION_FAILED", "False", "no idea"],
        ],
    )
    results = {r.key.model: r for r in discover_results(tmp_path)}
    qwen, medvlm = results["qwen7B"], results["MedVLM-R1"]
    assert [r.is_correct for r in qwen.records] == [True, False]
    first = medvlm.records[0]
    assert (first.final_question, first.correct_option, first.true_answer, first.selected_option) == (
        "Which colour?",
        "D",
        "Black.",
        "D",
    )
    assert first.is_correct is True
    out = evaluate_result(medvlm)
    assert out["metric"] == "MCQA" and out["correct_examples"] == 1


def test_mcqa_csv_without_is_correct_uses_options(tmp_path):
    write_csv(
        tmp_path / "result_qwen7B_ICL_mcqa.csv",
        ["problem_id", "correct_option", "selected_option"],
        [["p1", "B", "B"], ["p2", "A", "C"]],
    )
    result = only(discover_results(tmp_path))
    assert evaluate_result(result)["correct_examples"] == 1


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("result_qwen7B_ICL_open.csv", b"", "empty file"),
        ("result_qwen7B_ICL_open.csv", b"problem_id,true_answer,generated_answer\n", "no rows"),
        ("result_qwen7B_ICL_open.csv", b"problem_id,true_answer\np1,x\n", "generated_answer"),
        ("result_qwen7B_ICL_mcqa.csv", b"problem_id,selected_option\np1,A\n", "is_correct"),
        (
            "result_qwen7B_ICL_open.csv",
            "problem_id,true_answer,generated_answer\np1,caf\xe9,x\n".encode("latin-1"),
            "not UTF-8",
        ),
        ("result_qwen7B_ICL_mcqa.csv", b"problem_id,is_correct\np1,maybe\n", "is_correct"),
        ("result_qwen7B_ICL_open.csv", b"problem_id,true_answer,generated_answer\n,x,y\n", "no problem_id"),
        ("result_qwen7B_ICL_open.jsonl", b"", "empty file"),
        ("result_qwen7B_ICL_open.jsonl", b'{"problem_id": "p1", "true_answer": "x"}\n', "generated_answer"),
        ("result_qwen7B_ICL_open.jsonl", b'{"problem_id": "p1"\n{"problem_id": "p2"}\n', "line 1"),
        ("result_qwen7B_ICL_open.jsonl", b'{"true_answer": "x", "generated_answer": "y"}\n', "no problem_id"),
        (
            "result_qwen7B_ICL_open.jsonl",
            b'{"problem_id": "p1", "true_answer": "x", "generated_answer": "y"',
            "no complete record",
        ),
        ("result_qwen7B_ICL_open.jsonl", b"\xff\xfe{}\n", "not UTF-8"),
        (
            "result_qwen7B_ICL_open.jsonl",
            b'{"problem_id": "p1", "true_answer": "x", "generated_answer": "y", '
            b'"bogus": 1, "status": "ok", "metadata": 5}\n',
            None,
        ),
    ],
)
def test_bad_files_become_one_line_problems(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    result = only(discover_results(tmp_path))
    if expected is None:  # unknown keys are ignored
        assert result.usable and not result.problems
        return
    assert not result.usable
    assert len(result.problems) == 1
    message = result.problems[0]
    assert name in message and expected in message and "\n" not in message


def test_unparsable_name_is_a_problem(tmp_path):
    write_csv(tmp_path / "result_qwen7B_fewshot.csv", OPEN_COLUMNS, [["p1", "q", "a", "a", "a"]])
    (tmp_path / "notes.csv").write_text("x\n")
    (tmp_path / "result_qwen7B_ICL_open_evaluation.json").write_text("{}")
    result = only(discover_results(tmp_path))
    assert result.key is None and not result.usable
    assert "result_qwen7B_fewshot.csv" in result.problems[0]
    assert "file name" in result.problems[0]


def test_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such folder"):
        discover_results(tmp_path / "nope")
    with pytest.raises(UserError, match="no result files"):
        load_results(tmp_path)


def test_jsonl_retries_last_ok_wins(tmp_path):
    rows = [
        record("p1", None, status="error", error="timeout"),
        record("p2", "first"),
        record("p1", "yes"),
        record("p3", "yes"),
        record("p3", None, status="error", error="timeout"),
        record("p2", "second"),
    ]
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", rows)
    result = only(discover_results(tmp_path))
    by_id = {r.problem_id: r for r in result.records}
    assert [r.problem_id for r in result.records] == ["p1", "p2", "p3"]
    assert by_id["p1"].generated_answer == "yes" and by_id["p1"].status == "ok"
    assert by_id["p3"].status == "ok"  # a later failed retry does not replace an answer
    assert by_id["p2"].generated_answer == "second"
    assert result.original_count == 6
    assert len(result.warnings) == 1 and "p2" in result.warnings[0]  # two ok answers for p2
    out = evaluate_result(result)
    assert out["total_examples"] == 3 and out["original_count"] == 6 and out["excluded_count"] == 3


def test_jsonl_only_errors_keeps_the_last(tmp_path):
    rows = [record("p1", None, status="error", error="a"), record("p1", None, status="error", error="b")]
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", rows)
    result = only(discover_results(tmp_path))
    assert result.records[0].error == "b" and not result.warnings
    assert evaluate_result(result)["err_count"] == 1


def test_torn_last_line_is_a_warning(tmp_path):
    write_jsonl(
        tmp_path / "result_qwen7B_ICL_open.jsonl",
        [record("p1"), record("p2")],
        tail='{"problem_id": "p3", "tr',
    )
    result = only(discover_results(tmp_path))
    assert [r.problem_id for r in result.records] == ["p1", "p2"]
    assert not result.problems
    assert len(result.warnings) == 1 and "incomplete" in result.warnings[0]


def test_shards_merge_and_missing_shard_is_reported(tmp_path):
    key = ResultKey("qwen7B", "ICL", "open")
    write_jsonl(tmp_path / key.file_name((0, 3)), [record("p1"), record("p4")])
    write_jsonl(tmp_path / key.file_name((2, 3)), [record("p3", "no")])
    result = only(discover_results(tmp_path))
    assert result.key == key and result.output_stem == key.stem
    assert {r.problem_id for r in result.records} == {"p1", "p3", "p4"}
    assert [p.name for p in result.files] == [key.file_name((0, 3)), key.file_name((2, 3))]
    assert len(result.warnings) == 1
    assert key.file_name((1, 3)) in result.warnings[0] and "missing" in result.warnings[0]
    assert evaluate_result(result)["correct_examples"] == 2


def test_manifest_reports_missing_problems(tmp_path):
    key = ResultKey("qwen7B", "ICL", "open")
    write_jsonl(tmp_path / key.file_name((0, 2)), [record("p1")])
    write_jsonl(tmp_path / key.file_name((1, 2)), [record("p2")])
    (tmp_path / key.manifest_name((0, 2))).write_text(json.dumps({"expected_problems": ["p1", "p5"]}))
    (tmp_path / key.manifest_name((1, 2))).write_text(json.dumps({"expected_problems": ["p2", "p6"]}))
    result = only(discover_results(tmp_path))
    assert len(result.warnings) == 1
    assert "2 problem(s)" in result.warnings[0] and "p5" in result.warnings[0] and "p6" in result.warnings[0]
    assert "shard file" not in result.warnings[0]


def test_unsharded_manifest_and_complete_run(tmp_path):
    key = ResultKey("qwen7B", "0-shot", "open")
    write_jsonl(tmp_path / key.file_name(), [record("p1"), record("p2")])
    (tmp_path / key.manifest_name()).write_text(json.dumps({"expected_problems": ["p1", "p2"]}))
    assert not only(discover_results(tmp_path)).warnings


def test_an_empty_shard_with_nothing_expected_is_fine(tmp_path):
    key = ResultKey("majority", "ICL", "open")
    write_jsonl(tmp_path / key.file_name((0, 2)), [])
    (tmp_path / key.manifest_name((0, 2))).write_text(json.dumps({"expected_problems": []}))
    write_jsonl(tmp_path / key.file_name((1, 2)), [record("p1")])
    result = only(discover_results(tmp_path))
    assert result.usable and not result.problems and not result.warnings


def test_a_broken_shard_keeps_the_others(tmp_path):
    key = ResultKey("qwen7B", "ICL", "open")
    write_jsonl(tmp_path / key.file_name((0, 2)), [record("p1")])
    (tmp_path / key.file_name((1, 2))).write_bytes(b"")
    result = only(discover_results(tmp_path))
    assert result.usable and len(result.problems) == 1 and key.file_name((1, 2)) in result.problems[0]


def test_csv_and_jsonl_of_one_key_are_distinct_sources(tmp_path):
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", [record("p1")])
    write_csv(tmp_path / "result_qwen7B_ICL_open.csv", OPEN_COLUMNS, [["p1", "q", "yes", "no", ""]])
    write_csv(tmp_path / "result_qwen7B_0-shot.csv", OPEN_COLUMNS, [["p1", "q", "yes", "no", ""]])
    found = discover_results(tmp_path)
    assert sorted((r.key.inference_mode, r.kind) for r in found) == [
        ("0-shot", "csv"),
        ("ICL", "csv"),
        ("ICL", "jsonl"),
    ]
    kept, notes = one_per_key(found)
    assert sorted((r.key.inference_mode, r.kind) for r in kept) == [("0-shot", "csv"), ("ICL", "jsonl")]
    assert len(notes) == 1 and "result_qwen7B_ICL_open.csv" in notes[0]


def test_load_results_filters(tmp_path):
    write_jsonl(tmp_path / "result_qwen7B_ICL_open.jsonl", [record("p1")])
    write_jsonl(tmp_path / "result_qwen3B_0-shot_open.jsonl", [record("p1")])
    kept, notes = load_results(tmp_path, models=["qwen3B"])
    assert [r.key.model for r in kept] == ["qwen3B"] and not notes
    kept, _ = load_results(tmp_path, inference_mode="ICL")
    assert [r.key.model for r in kept] == ["qwen7B"]
    with pytest.raises(UserError, match="no result matches"):
        load_results(tmp_path, models=["gpt-4o"])


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason="published results not available")
def test_every_published_file_reads_cleanly():
    results = discover_results(PUBLISHED)
    assert len(results) == 68
    for r in results:
        assert r.usable and not r.problems and not r.warnings, r.name
        assert len(r.records) == 111
