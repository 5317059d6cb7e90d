"""The result file: append-and-flush, compaction, one writer at a time, tolerant reading."""

from __future__ import annotations

import json

import pytest

from smmile.errors import FileProblem, UserError
from smmile.results.jsonl import read_jsonl
from smmile.results.naming import ResultKey, parse_result_name
from smmile.results.records import latest_per_problem
from smmile.results.store import ResultStore
from smmile.types import ResultRecord


def rec(pid: str, status: str = "ok", answer: str | None = "x") -> ResultRecord:
    return ResultRecord(problem_id=pid, generated_answer=answer, status=status)


def test_latest_per_problem_prefers_the_last_ok_record():
    chosen = latest_per_problem(
        [rec("a", "error"), rec("a", "ok", "1"), rec("a", "error"), rec("b", "error")]
    )
    assert chosen["a"].generated_answer == "1" and chosen["a"].status == "ok"
    assert chosen["b"].status == "error"


def test_records_are_on_disk_as_soon_as_appended(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    with ResultStore(path) as store:
        store.append(rec("a"))
        assert [r["problem_id"] for r in read_jsonl(path).rows] == ["a"]
        store.append(rec("b", "error"))
        assert store.done == {"a"}
    assert len(read_jsonl(path).rows) == 2


def test_reopening_compacts_retried_errors_and_torn_lines(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    lines = [
        json.dumps({"problem_id": "a", "status": "error"}),
        json.dumps({"problem_id": "a", "status": "ok"}),
    ]
    path.write_text("\n".join(lines) + "\n" + '{"problem_id": "b", "sta')
    with ResultStore(path) as store:
        assert store.done == {"a"}
        assert "incomplete" in " ".join(store.notes)
    content = read_jsonl(path)
    assert not content.torn_tail
    assert [(r["problem_id"], r["status"]) for r in content.rows] == [("a", "ok")]


def test_a_second_writer_is_refused(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    with ResultStore(path), pytest.raises(UserError, match="another run"):
        ResultStore(path).open()


def test_a_foreign_jsonl_is_named(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    path.write_text('{"no_id": 1}\n')
    with pytest.raises(FileProblem, match="result_m_ICL_open.jsonl"):
        ResultStore(path).open()


def test_a_broken_middle_line_is_named(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    path.write_text('{"problem_id": "a"}\nnot json\n{"problem_id": "b"}\n')
    with pytest.raises(FileProblem, match="line 2"):
        read_jsonl(path)


def test_non_utf8_is_named(tmp_path):
    path = tmp_path / "result_m_ICL_open.jsonl"
    path.write_bytes(b'{"problem_id": "\xff"}\n')
    with pytest.raises(FileProblem, match="UTF-8"):
        read_jsonl(path)


@pytest.mark.parametrize(
    "name, key, shard",
    [
        ("result_qwen7B_ICL_open.jsonl", ResultKey("qwen7B", "ICL", "open"), None),
        (
            "result_llama32_vision_90b_0-shot_mcqa.shard-2-of-4.jsonl",
            ResultKey("llama32_vision_90b", "0-shot", "mcqa"),
            (2, 4),
        ),
        ("result_llavaonevision_0.5b_ICL.csv", ResultKey("llavaonevision_0.5b", "ICL", "open"), None),
        (
            "result_qwen7B_ICL_open.order-reversed.jsonl",
            ResultKey("qwen7B", "ICL", "open", "order-reversed"),
            None,
        ),
        (
            "result_m_ICL_mcqa.num-icl-2+irrelevant-1-end.shard-0-of-2.jsonl",
            ResultKey("m", "ICL", "mcqa", "num-icl-2+irrelevant-1-end"),
            (0, 2),
        ),
    ],
)
def test_result_names_round_trip(name, key, shard):
    parsed = parse_result_name(name)
    assert parsed is not None and parsed.key == key and parsed.shard == shard
    if name.endswith(".jsonl"):
        assert key.file_name(shard) == name


@pytest.mark.parametrize(
    "name",
    [
        "result_ICL_open.jsonl",
        "result_m_1-shot_open.jsonl",
        "results.csv",
        "result_m_ICL_open.shard-2-of-2.jsonl",
        "result_m_ICL_open.x.csv",
    ],
)
def test_names_that_are_not_results(name):
    assert parse_result_name(name) is None


def test_manifest_scrub_drops_secret_names_at_any_depth():
    from smmile.results.manifest import scrub

    config = {
        "api_key": "sk-1",
        "HF_TOKEN": "hf",
        "max_tokens": 512,
        "max_new_tokens": 4,
        "request": {"token": "t", "temperature": 0},
        "secret": 1,
        "keys_seen": 3,
    }
    assert scrub(config) == {
        "max_tokens": 512,
        "max_new_tokens": 4,
        "request": {"temperature": 0},
        "keys_seen": 3,
    }


def test_outputs_get_the_permissions_of_an_ordinary_new_file(tmp_path):
    import os

    from smmile.io import write_atomic

    write_atomic(tmp_path / "out.json", "{}")
    (tmp_path / "plain.json").write_text("{}")
    assert os.stat(tmp_path / "out.json").st_mode == os.stat(tmp_path / "plain.json").st_mode


class _FrozenClock:
    """datetime with a `now` that never moves: every backup is made within the same second."""

    @staticmethod
    def now(tz=None):
        from datetime import datetime

        return datetime(2026, 1, 2, 3, 4, 5, tzinfo=tz)


def test_no_resume_backups_within_one_second_never_collide(tmp_path, monkeypatch):
    import smmile.results.store as store_module

    monkeypatch.setattr(store_module, "datetime", _FrozenClock)
    path = tmp_path / "result_m_ICL_open.jsonl"
    manifest = tmp_path / "result_m_ICL_open.manifest.json"
    contents = []
    for n in range(3):
        with ResultStore(path, resume=False, companions=(manifest,)) as store:
            store.append(rec(f"p{n}", answer=str(n)))
        manifest.write_text(json.dumps({"run": n}))
        contents.append(path.read_bytes())
    with ResultStore(path, resume=False, companions=(manifest,)) as store:
        assert "kept as result_m_ICL_open.jsonl.replaced-20260102T030405Z-3" in " ".join(store.notes)
    backups = sorted(tmp_path.glob("result_m_ICL_open.jsonl.replaced-*"))
    assert [b.name.removeprefix("result_m_ICL_open.jsonl.") for b in backups] == [
        "replaced-20260102T030405Z",
        "replaced-20260102T030405Z-2",
        "replaced-20260102T030405Z-3",
    ]
    assert sorted(b.read_bytes() for b in backups) == sorted(contents)
    # each result's manifest is kept under the same suffix as the result
    for backup in backups:
        suffix = backup.name.removeprefix(path.name)
        kept_manifest = json.loads((tmp_path / (manifest.name + suffix)).read_text())
        assert f'"p{kept_manifest["run"]}"' in backup.read_text()


def test_a_record_as_json_is_what_asdict_gives():
    import dataclasses
    from collections import OrderedDict, namedtuple

    from smmile.results.schema import record_to_json

    point = namedtuple("point", "x y")
    nested = dataclasses.make_dataclass("Nested", ["a", "b"])
    record = ResultRecord(
        "p",
        options={"A": "x", "B": "y"},
        examples_seen=[0, "q#1"],
        metadata={
            "t": (1, [2]),
            "p": point(1, {"k": 2}),
            "n": nested(1, (2,)),
            "o": OrderedDict(z=1),
            3: None,
        },
        usage={"u": [1.5, {"k": True}]},
    )
    as_json = record_to_json(record)
    assert as_json == dataclasses.asdict(record)
    assert json.dumps(as_json) == json.dumps(dataclasses.asdict(record))
    assert as_json["metadata"] is not record.metadata and as_json["usage"]["u"] is not record.usage["u"]
