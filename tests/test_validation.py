"""Dataset validation at load, before any request: ids, answers, orders, image paths, ICL examples."""

from __future__ import annotations

import math

import pytest
from helpers import demo_copy, demo_rows, run_script
from loopback import OpenAIServer
from loopback.harness import script_env

from smmile.data import load_dataset_problems, resolve_source
from smmile.errors import FileProblem

FIRST = demo_rows()[0]["problem_id"]


def load(folder):
    return load_dataset_problems(resolve_source("local", dataset_path=str(folder)), fetch_missing=False)


def refused(folder) -> str:
    with pytest.raises(FileProblem) as info:
        load(folder)
    message = str(info.value)
    assert "\n" not in message
    return message


def at_line(n: int, **changes):
    """A `change` for demo_copy: row n (0-based; line n+1) gets `changes`."""
    return lambda i, row: {**row, **changes} if i == n else row


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"problem_id": None}, "line 3: problem_id is missing or not text (None)"),
        ({"problem_id": "   "}, "line 3: problem_id is missing or not text ('   ')"),
        ({"answer": None}, f"line 3 (problem {FIRST}): answer is missing or not text (None)"),
        ({"answer": ""}, f"line 3 (problem {FIRST}): answer is missing or not text ('')"),
        ({"answer": ["Yes"]}, "answer is missing or not text (['Yes'])"),
        ({"order": None}, f"line 3 (problem {FIRST}): order None is not a number"),
    ],
    ids=["null-id", "blank-id", "null-answer", "empty-answer", "list-answer", "null-order"],
)
def test_rows_without_an_id_answer_or_order_are_refused(tmp_path, changes, expected):
    message = refused(demo_copy(tmp_path / "d", at_line(2, **changes)))
    assert message.startswith(str(tmp_path / "d" / "data.jsonl")) and expected in message


def test_a_nan_answer_in_parquet_is_refused(tmp_path):
    import pandas as pd

    folder = demo_copy(tmp_path / "p")
    rows = demo_rows()
    rows[4]["answer"] = math.nan  # a blank cell in a spreadsheet, as pandas reads it
    (folder / "data.jsonl").unlink()
    pd.DataFrame(rows).to_parquet(folder / "data.parquet")
    message = refused(folder)
    assert "row 4 (problem" in message and "answer is missing or not text" in message


def test_duplicate_orders_are_refused_naming_both_rows(tmp_path):
    message = refused(demo_copy(tmp_path / "d", at_line(1, order=0)))
    assert f"line 1 and line 2 (problem {FIRST}): both have order 0" in message


def test_many_bad_rows_are_counted_in_one_line(tmp_path):
    message = refused(demo_copy(tmp_path / "d", lambda i, row: {**row, "answer": None}))
    assert message.count("answer is missing") == 3 and f"(and {len(demo_rows()) - 3} more)" in message


@pytest.mark.parametrize("where", ["absolute", "climbing"])
def test_image_paths_outside_the_dataset_folder_are_refused(tmp_path, where):
    secret = tmp_path / "outside.png"
    secret.write_bytes(b"not for sending")
    value = str(secret) if where == "absolute" else "../outside.png"
    folder = demo_copy(tmp_path / "d", at_line(0, image=value))
    message = refused(folder)
    assert f"line 1: image path {value!r} is outside the dataset folder" in message


def test_saved_dataset_with_an_absolute_image_path_is_refused(tmp_path):
    import datasets

    secret = tmp_path / "outside.png"
    secret.write_bytes(b"not for sending")
    rows = [{**r, "image": {"bytes": None, "path": str(secret)}} for r in demo_rows()[:3]]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    message = refused(tmp_path / "saved")
    assert "row 0: image path" in message and "outside the dataset folder" in message


def test_the_demo_and_local_copies_still_load(tmp_path):
    demo = load_dataset_problems(resolve_source("demo"), fetch_missing=False)
    assert len(demo.problems) == len({r["problem_id"] for r in demo_rows()})
    assert len(load(demo_copy(tmp_path / "d")).problems) == len(demo.problems)


def test_an_icl_run_of_problems_without_examples_is_refused_before_any_request(tmp_path):
    single = demo_copy(tmp_path / "d", lambda i, row: row if row["order"] == 0 or i > 20 else None)
    loaded = load(single)
    empty = sorted(p.problem_id for p in loaded.problems if not p.examples)
    assert empty and len(empty) < len(loaded.problems)
    with OpenAIServer() as server:
        args = ["--dataset-path", single, "--output-dir", tmp_path / "results", "--no-progress"]
        args += ["--base-url", server.url + "/v1"]
        env = script_env(OPENAI_API_KEY="sk-loopback-validation")
        proc = run_script("inference_openai.py", *args, env=env)
        assert proc.returncode == 2 and server.count == 0
        (line,) = proc.stderr.strip().splitlines()
        assert f"{len(empty)} problem(s) have no in-context examples" in line and empty[0] in line
        assert "--inference_mode ICL cannot run them" in line and "Traceback" not in proc.stderr
        assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.jsonl"))
        zero_shot = run_script("inference_openai.py", *args, "--inference_mode", "0-shot", env=env)
        assert zero_shot.returncode == 0, zero_shot.stderr
        assert server.count == len(loaded.problems)


# --- images given inline ---------------------------------------------------------------------------


def test_images_given_as_base64_text_are_decoded(tmp_path):
    import base64

    from smmile.data import DEMO_DIR

    def inline(i, row):
        raw = (DEMO_DIR / row["image"]).read_bytes()
        text = base64.b64encode(raw).decode("ascii")
        if i % 3 == 0:
            return {**row, "image": {"bytes": text, "path": None}}
        if i % 3 == 1:
            return {**row, "image": f"data:image/png;base64,{text}"}
        return {**row, "image": {"bytes": base64.urlsafe_b64encode(raw).decode(), "path": "x.png"}}

    loaded = load(demo_copy(tmp_path / "d", inline))
    demo = load_dataset_problems(resolve_source("demo"), fetch_missing=False)
    images = [[t.image.sha256 for t in p.triplets] for p in loaded.problems]
    assert images == [[t.image.sha256 for t in p.triplets] for p in demo.problems]


@pytest.mark.parametrize(
    "image, expected",
    [
        ({"bytes": "not base64 at all!"}, "line 2: image bytes are text but not base64"),
        ({"bytes": "aGVsbG8gd29ybGQ="}, "line 2: image bytes decode from base64 to 11 bytes that are not an image"),
        ({"bytes": 12345}, "line 2: image bytes must be bytes or base64 text, got int"),
    ],
    ids=["not-base64", "not-an-image", "a-number"],
)  # fmt: skip
def test_inline_images_that_are_not_images_are_refused(tmp_path, image, expected):
    assert expected in refused(demo_copy(tmp_path / "d", at_line(1, image=image)))


def test_a_run_on_base64_images_sends_the_same_images(tmp_path):
    import base64
    import json

    from smmile.data import DEMO_DIR

    def inline(i, row):
        text = base64.b64encode((DEMO_DIR / row["image"]).read_bytes()).decode("ascii")
        return {**row, "image": {"bytes": text}}

    sent = []
    for name, change in (("plain", None), ("inline", inline)):
        data = demo_copy(tmp_path / name, change)
        with OpenAIServer() as server:
            args = ["--dataset-path", data, "--output-dir", tmp_path / f"r-{name}", "--no-progress"]
            args += ["--base-url", server.url + "/v1"]
            proc = run_script("inference_openai.py", *args, env=script_env(OPENAI_API_KEY="sk-loopback-b64"))
            assert proc.returncode == 0, proc.stderr
            sent.append(sorted(json.dumps(r.json["messages"], sort_keys=True) for r in server.requests))
    assert sent[0] == sent[1] and "data:image/png;base64," in sent[1][0]
