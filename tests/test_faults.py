"""Faults and hostile input end in one line and a non-zero exit, never a traceback, and nothing
already written is lost: text UTF-8 cannot hold, signals, full disks, unwritable outputs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, SCRIPTS, demo_copy, demo_rows, run_script
from loopback import OpenAIServer
from loopback.harness import script_env

from smmile.data import DEMO_DIR
from smmile.io import valid_utf8
from smmile.results.jsonl import read_jsonl
from smmile.results.store import ResultStore
from smmile.types import ResultRecord

KEY = "sk-loopback-faults-7d2a"
HALF_EMOJI = "\ud83d"  # a lone surrogate: half of an emoji's UTF-16 pair
N_PROBLEMS = len(
    {json.loads(line)["problem_id"] for line in (DEMO_DIR / "data.jsonl").open(encoding="utf-8")}
)


def rows_of(path: Path) -> list[dict]:
    return read_jsonl(path).rows


def one_line_error(proc) -> str:
    """The stderr of a failed script: one line, no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- text that UTF-8 cannot store --------------------------------------------------------------------


def test_valid_utf8_replaces_lone_surrogates_and_joins_pairs():
    assert valid_utf8("plain é text") == ("plain é text", 0)
    assert valid_utf8(f"a{HALF_EMOJI}b\udc00") == ("a\ufffdb\ufffd", 2)
    assert valid_utf8("already \ufffd and \ud83d\ude00") == ("already \ufffd and \U0001f600", 0)


def test_a_reply_with_a_lone_surrogate_is_recorded_and_counted(tmp_path):
    with OpenAIServer(reply=lambda request: f"Yes {HALF_EMOJI}") as server:
        args = ["--dataset", "demo", "--output-dir", tmp_path / "results", "--no-progress"]
        args += ["--base-url", server.url + "/v1"]
        proc = run_script("inference_openai.py", *args, env=script_env(OPENAI_API_KEY=KEY))
        assert proc.returncode == 0, proc.stderr
        path = tmp_path / "results_demo" / "result_gpt-4o_ICL_open.jsonl"
        path.read_bytes().decode("utf-8")  # valid UTF-8 on disk
        rows = rows_of(path)
        assert rows and all(r["status"] == "ok" for r in rows)
        assert {r["full_response"] for r in rows} == {"Yes \ufffd"}
        assert {r["invalid_characters_replaced"] for r in rows} == {2}  # full response + answer
        assert f"{2 * len(rows)} character(s) that UTF-8 cannot store" in proc.stdout
        manifest = json.loads((path.with_name("result_gpt-4o_ICL_open.manifest.json")).read_text("utf-8"))
        assert manifest["runs"][-1]["invalid_characters_replaced"] == 2 * len(rows)
        # a re-run finds every problem done: nothing is sent again
        again = run_script("inference_openai.py", *args, env=script_env(OPENAI_API_KEY=KEY))
        assert again.returncode == 0 and f"{len(rows)} already done" in again.stdout


def test_a_dataset_row_with_a_lone_surrogate_is_recorded(tmp_path):
    def poison(i, row):
        if row["problem_id"] == first and row["order"] == last:  # a query's question
            row["question"] += HALF_EMOJI
        return row

    first = demo_rows()[0]["problem_id"]
    last = max(r["order"] for r in demo_rows() if r["problem_id"] == first)

    data = demo_copy(tmp_path / "data", poison)
    assert b"\\ud83d" in (data / "data.jsonl").read_bytes()
    out = tmp_path / "results"
    proc = run_script("inference_baselines.py", "--dataset-path", data, "--output-dir", out, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    for name in ("result_majority_ICL_open.jsonl", "result_random_ICL_open.jsonl"):
        rows = rows_of(out / name)
        (hit,) = [r for r in rows if r["invalid_characters_replaced"]]
        assert hit["final_question"].endswith("\ufffd") and hit["invalid_characters_replaced"] == 1
        assert all(r["status"] == "ok" for r in rows)


def test_store_keeps_the_replaced_text_through_compaction(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultStore(path) as store:
        store.append(ResultRecord("p1", full_response=f"x{HALF_EMOJI}", generated_answer=HALF_EMOJI))
        store.append(ResultRecord("p2", full_response="fine"))
        assert store.replaced_characters == 2 and store.replaced_in == ["p1"]
    rows = {r["problem_id"]: r for r in rows_of(path)}
    assert rows["p1"]["full_response"] == "x\ufffd" and rows["p1"]["invalid_characters_replaced"] == 2
    assert rows["p2"]["invalid_characters_replaced"] is None


# --- signals: Ctrl-C and SIGTERM -------------------------------------------------------------------


def stop_part_way(
    cmd: list, path: Path, signum: int, env=None, again: tuple[int, ...] = ()
) -> tuple[subprocess.CompletedProcess, int]:
    """Start `cmd`, send `signum` (then the signals `again`, at once) once `path` holds two records;
    (the finished process, records kept)."""
    proc = subprocess.Popen(
        [sys.executable, *map(str, cmd)],
        cwd=SCRIPTS,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (path.exists() and path.read_text().count("\n") >= 2):
        time.sleep(0.02)
    proc.send_signal(signum)
    for other in again:  # an impatient user, or scancel after Ctrl-C
        time.sleep(0.005)
        proc.send_signal(other)
    out, err = proc.communicate(timeout=60)
    content = read_jsonl(path)
    assert not content.torn_tail
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), len(content.rows)


def check_stopped(proc, signum: int, path: Path) -> None:
    assert proc.returncode == 128 + signum, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"interrupted by {signal.Signals(signum).name}: {path} keeps every record")
    manifest = json.loads(path.with_name(path.stem + ".manifest.json").read_text("utf-8"))
    assert manifest["runs"][-1]["stopped_by"] == signal.Signals(signum).name
    assert manifest["finished_at"] is None


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum, again",
    [(signal.SIGINT, ()), (signal.SIGTERM, ()), (signal.SIGINT, (signal.SIGINT, signal.SIGTERM))],
    ids=["sigint", "sigterm", "repeated"],
)
def test_api_run_stops_on_a_signal_in_one_line_and_resumes(tmp_path, signum, again):
    with OpenAIServer(latency=0.3) as server:
        cmd = ["inference_openai.py", "--dataset", "demo", "--output-dir", tmp_path / "results"]
        cmd += ["--no-progress", "--base-url", server.url + "/v1", "--concurrency", "2"]
        path = tmp_path / "results_demo" / "result_gpt-4o_ICL_open.jsonl"
        proc, kept = stop_part_way(cmd, path, signum, env=script_env(OPENAI_API_KEY=KEY), again=again)
        check_stopped(proc, signum, path)
        assert kept >= 2
        again = run_script(*cmd, env=script_env(OPENAI_API_KEY=KEY))
        assert again.returncode == 0, again.stderr
        assert f"{kept} already done" in again.stdout
        rows = rows_of(path)
        assert len(rows) == len({r["problem_id"] for r in rows}) == N_PROBLEMS
        assert all(r["status"] == "ok" for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_local_run_stops_on_a_signal_in_one_line(tmp_path, signum):
    cmd = [ROOT / "tests" / "helpers" / "slow_baseline.py", "--dataset", "demo"]
    cmd += ["--output-dir", tmp_path / "results", "--no-progress", "--delay", "0.2"]
    path = tmp_path / "results_demo" / "result_majority_ICL_open.jsonl"
    proc, kept = stop_part_way(cmd, path, signum)
    check_stopped(proc, signum, path)
    assert 2 <= kept < N_PROBLEMS


# --- a full disk, an unwritable output folder ------------------------------------------------------


def on_faulty_disk(folder: Path, mode: str, limit: int, script: str, *args) -> subprocess.CompletedProcess:
    helper = ROOT / "tests" / "helpers" / "faulty_disk.py"
    return run_script(helper, folder, mode, limit, script, *args)


def test_a_full_disk_stops_the_run_in_one_line_and_keeps_the_records(tmp_path):
    args = ["--dataset", "demo", "--output-dir", tmp_path / "results", "--no-progress"]
    args += ["--baseline", "majority"]
    out = tmp_path / "results_demo"
    path = out / "result_majority_ICL_open.jsonl"
    proc = on_faulty_disk(out, "full", 5, "inference_baselines.py", *args)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert line.startswith(f"error: {path}: cannot write (No space left on device")
    assert "full" in line and "the 5 record(s) written before are kept" in line
    content = read_jsonl(path)
    assert len(content.rows) == 5 and content.torn_tail  # the cut-short line is left for the resume
    again = run_script("inference_baselines.py", *args)
    assert again.returncode == 0, again.stderr
    assert "5 already done" in again.stdout
    rows = rows_of(path)
    assert len(rows) == len({r["problem_id"] for r in rows}) == N_PROBLEMS


def test_a_full_disk_while_compacting_keeps_the_file(tmp_path, monkeypatch):
    from smmile.errors import FileProblem

    path = tmp_path / "r.jsonl"
    with ResultStore(path) as store:
        store.append(ResultRecord("p1", status="error", error="HTTP 500"))
        store.append(ResultRecord("p1", full_response="ok now"))
    before = path.read_bytes()
    store = ResultStore(path).open()
    store.append(ResultRecord("p2", status="error", error="HTTP 500"))
    store.append(ResultRecord("p2", full_response="second"))

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("smmile.io.os.fsync", no_space)
    with pytest.raises(FileProblem, match=r"r\.jsonl: cannot write \(No space left on device: the disk"):
        store.close()
    assert before in path.read_bytes() and b"second" in path.read_bytes()  # appended lines intact
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.jsonl.") and p.suffix != ".lock"]
    monkeypatch.undo()
    assert {r.problem_id for r in ResultStore(path).open().records.values()} == {"p1", "p2"}


def test_a_read_only_output_folder_is_refused_before_any_request(tmp_path):
    out = tmp_path / "results_demo"
    out.mkdir()
    with OpenAIServer() as server:
        args = ["--dataset", "demo", "--output-dir", tmp_path / "results", "--no-progress"]
        args += ["--base-url", server.url + "/v1"]
        proc = on_faulty_disk(out, "readonly", 0, "inference_openai.py", *args)
        assert server.count == 0
    assert proc.returncode == 2
    assert one_line_error(proc) == f"error: {out}: cannot write in this folder (Read-only file system)"


@pytest.mark.parametrize("script", ["inference_baselines.py", "evaluate_EM.py"])
def test_an_output_folder_that_is_a_file_is_refused_in_one_line(tmp_path, script):
    data = demo_copy(tmp_path / "data")
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    if script == "evaluate_EM.py":
        proc = run_script(script, blocker / "sub")
        assert "sub" in one_line_error(proc)
    else:
        proc = run_script(script, "--dataset-path", data, "--output-dir", blocker, "--no-progress")
        line = one_line_error(proc)
        assert line == f"error: {blocker}: is a file, not a folder: choose another output folder"
    assert proc.returncode == 2 and blocker.read_text() == "not a folder"


# --- a damaged judge cache -------------------------------------------------------------------------


def judged_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    with ResultStore(folder / "result_modelA_ICL_open.jsonl") as store:
        for i in range(4):
            store.append(
                ResultRecord(
                    f"p{i}", final_question="Which side?", true_answer="Left.", generated_answer="Left.",
                    full_response="Left.", model="modelA", inference_mode="ICL", task_format="open",
                )
            )  # fmt: skip
    return folder


def judge(folder: Path, server, *extra) -> subprocess.CompletedProcess:
    args = [folder, "--judge-base-url", server.url, "--no-progress", *extra]
    return run_script("evaluate_LLMJudge.py", *args, env=script_env())


def damage_pages(path: Path) -> None:
    """Overwrite pages in the middle of a sqlite file (its header stays valid)."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 8 * page
    data[3 * page : 6 * page] = b"\x5a" * (3 * page)
    path.write_bytes(bytes(data))


def test_a_cache_with_damaged_pages_is_refused_with_the_flag_to_rebuild_it(tmp_path):
    from loopback import OllamaServer

    from smmile.judge.cache import JudgeCache
    from smmile.results.naming import JUDGE_CACHE as FILE_NAME

    folder = judged_folder(tmp_path)
    with OllamaServer(reply=lambda request: "1") as server:
        assert judge(folder, server).returncode == 0
        cache = folder / FILE_NAME
        with JudgeCache(cache) as filler:  # an older cache holds many other verdicts
            for i in range(3000):
                filler.store("ollama", "llama3.3", f"{i:064x}", "an older verdict " * 8, 1)
        damage_pages(cache)
        before = cache.read_bytes()
        server.reset()
        proc = judge(folder, server)
        assert proc.returncode == 2
        line = one_line_error(proc)
        assert line.startswith(f"error: {cache}: the judge cache is damaged")
        assert "--rebuild-cache" in line
        assert not any(r.path.endswith("/chat") for r in server.requests)  # nothing judged
        assert cache.read_bytes() == before

        proc = judge(folder, server, "--rebuild-cache")
        assert proc.returncode == 0, proc.stderr
        (kept,) = folder.glob(f"{FILE_NAME}.replaced-*")
        assert kept.read_bytes() == before and f"kept as {kept.name}" in proc.stderr
        assert "1 sent" in proc.stdout  # the four records share one prompt
        assert len(JudgeCache(cache)) >= 1


def test_a_judge_reply_with_a_lone_surrogate_is_cached(tmp_path):
    from smmile.judge.cache import JudgeCache

    with JudgeCache(tmp_path / "cache.sqlite") as cache:
        cache.store("openai", "judge", "ab" * 32, f"1 {HALF_EMOJI}", 1)
        assert cache.lookup("openai", "judge", ["ab" * 32])["ab" * 32].reply == "1 \ufffd"


# --- a huge PNG in the report ----------------------------------------------------------------------


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` grey pixels and holds almost none of them."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [30000, 8000])  # over PIL's own limit; under it but too large to decode
def test_a_huge_png_in_the_report_is_a_placeholder_with_a_warning(tmp_path, side):
    image_name = {}

    def huge(i, row):
        if i == 0:
            image_name["path"] = row["image"]
        return row

    data = demo_copy(tmp_path / "d", huge)
    (data / image_name["path"]).write_bytes(png_header(side, side))
    out = tmp_path / "results"
    args = ["--dataset-path", data, "--output-dir", out, "--no-progress", "--baseline", "majority"]
    assert run_script("inference_baselines.py", *args).returncode == 0
    for inline in ([], ["--inline-images"]):
        proc = run_script("report.py", out, "--dataset-path", data, *inline)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr and "DecompressionBomb" not in proc.stderr
        (warning,) = [line for line in proc.stderr.splitlines() if "too large to preview" in line]
        assert (
            image_name["path"].split("/")[-1] in warning and f"{side}x{side} px" in warning or side == 30000
        )
        page = (out / "report.html").read_text("utf-8")
        assert page.count("image too large to preview") == 1


def test_a_result_file_written_elsewhere_with_an_escaped_surrogate_is_read_as_valid_text(tmp_path):
    path = tmp_path / "result_x_ICL_open.jsonl"
    path.write_text('{"problem_id": "p1", "full_response": "a \\ud83d b \\ud83d\\ude00"}\n', "utf-8")
    (row,) = rows_of(path)
    assert row["full_response"] == "a \ufffd b \U0001f600"
    row["full_response"].encode("utf-8")  # usable as text: a judge prompt is hashed from it


def test_a_stop_whose_exception_was_swallowed_is_raised_again(capsys):
    """A signal's exception can land in a weakref callback, where Python only prints it: the stop
    it asked for is remembered and raised at the run loop's next check, so the run still ends 130."""
    from smmile.errors import raise_if_stop_requested, request_stop
    from utils import run_script

    def main(argv):
        request_stop(signal.SIGINT)  # what the handler records before its exception is lost
        raise_if_stop_requested("result.jsonl")
        return 0

    assert run_script(main, []) == 130
    assert capsys.readouterr().err.startswith("interrupted by SIGINT: result.jsonl keeps every record")
    assert run_script(lambda argv: 0, []) == 0  # the next run starts with no stop pending
