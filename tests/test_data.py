"""Dataset loading: the bundled demo, local copies, the hub path, bad inputs and missing images."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import string
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers.image_server import PNG
from hypothesis import given
from hypothesis import strategies as st

from smmile.data import (
    DEMO_DIR,
    FLAG_COLUMNS,
    DatasetSource,
    cache_name,
    image_file_names,
    load_dataset_problems,
    make_demo,
    resolve_missing_image,
    resolve_source,
    safe_image_name,
)
from smmile.data import images as images_module
from smmile.data.hub_source import hub_revision
from smmile.errors import FileProblem, UserError
from smmile.types import Problem

SPECIALITIES = {"radiology", "pathology", "dermatology", "ophthalmology", "surgery", "other"}
FLAG_VALUES = {
    "flag_answer_format": {"free response", "binary(yes/no)", "multiple choice", "numerical"},
    "flag_image_type": {
        "X-Ray", "CT", "Staining", "Photograph", "ECG", "Ultrasound", "Fundus Photograph",
        "MRI", "EEG", "Mammogram", "Text", "Illustration", "Other",
    },
    "flag_cognitive_process": {"classification/diagnosis", "reasoning classification", "regression/quantitative"},
    "flag_rarity": {"common", "uncommon", None},
    "flag_difficulty_llms": {"hard", "medium"},
}  # fmt: skip


def demo_rows() -> list[dict]:
    return [json.loads(line) for line in (DEMO_DIR / "data.jsonl").read_text("utf-8").splitlines()]


def key(problem: Problem) -> tuple:
    """What must match between two loads of the same data (image by content, not by path)."""
    return (
        problem.problem_id,
        tuple(
            (t.problem_id, t.order, t.question, t.answer, t.image.sha256 if t.image else None, t.image_url)
            for t in problem.triplets
        ),
        tuple(sorted(problem.metadata.items())),
    )


@pytest.fixture(scope="module")
def demo() -> list[Problem]:
    return load_dataset_problems(resolve_source("demo"), fetch_missing=False).problems


def copy_demo_images(folder: Path) -> None:
    shutil.copytree(DEMO_DIR / "images", folder / "images")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def normalise(text: str) -> str:
    return " ".join(text.lower().translate(str.maketrans("", "", string.punctuation)).split())


# --- sources ---------------------------------------------------------------------------------------


def test_resolve_source_names_and_ids(tmp_path):
    assert resolve_source() == DatasetSource("smmile", "smmile/SMMILE", None)
    assert resolve_source("augmented") == DatasetSource("augmented", "smmile/SMMILE-plusplus", None)
    assert resolve_source("smmile", dataset_id="smmile/SMMILE-050525").dataset_id == "smmile/SMMILE-050525"
    demo = resolve_source("demo")
    assert demo.name == "demo" and demo.path == DEMO_DIR
    local = resolve_source("smmile", dataset_path=str(tmp_path))
    assert (local.name, local.path, local.dataset_id) == ("local", tmp_path, str(tmp_path))
    assert resolve_source("augmented", dataset_path=str(tmp_path)).name == "augmented"
    assert resolve_source("local", "my/id", str(tmp_path)).dataset_id == "my/id"
    with pytest.raises(UserError, match="unknown dataset"):
        resolve_source("smile")
    with pytest.raises(UserError, match="exclude"):
        resolve_source("demo", dataset_path=str(tmp_path))
    with pytest.raises(UserError, match="--dataset-path"):
        resolve_source("local")


# --- the bundled demo --------------------------------------------------------------------------------


def test_demo_loads(demo):
    loaded = load_dataset_problems(resolve_source("demo"), fetch_missing=False)
    assert loaded.skipped == {} and loaded.name == "demo" and loaded.dataset_id == "smmile-demo"
    data = (DEMO_DIR / "data.jsonl").read_bytes()
    assert loaded.revision == hashlib.sha256(b"data.jsonl\0" + data).hexdigest()
    assert 10 <= len(demo) <= 14
    ids = [p.problem_id for p in demo]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    file_order = list(dict.fromkeys(r["problem_id"] for r in demo_rows()))
    assert sorted(file_order) == ids and file_order != ids  # the loader sorts
    for problem in demo:
        assert problem.dataset == "demo"
        assert 2 <= len(problem.examples) <= 5
        assert [t.order for t in problem.triplets] == list(range(len(problem.triplets)))
        assert set(problem.metadata) == {"speciality", *FLAG_COLUMNS}
        assert problem.metadata["speciality"] in SPECIALITIES
        for flag, values in FLAG_VALUES.items():
            assert problem.metadata[flag] in values
        for t in problem.triplets:
            assert t.image is not None and t.image_url.startswith("https://example.org/smmile-demo/")
            img = t.image.open()
            assert img.mode == "RGB" and 64 <= img.width <= 96 and 64 <= img.height <= 96
    assert {p.metadata["speciality"] for p in demo} == SPECIALITIES
    assert len({p.metadata["flag_image_type"] for p in demo}) >= 10
    for flag in ("flag_answer_format", "flag_cognitive_process", "flag_rarity", "flag_difficulty_llms"):
        assert {p.metadata[flag] for p in demo} == FLAG_VALUES[flag]
    assert len({len(p.examples) for p in demo}) >= 3
    assert len({t.image.sha256 for p in demo for t in p.triplets}) == sum(len(p.triplets) for p in demo)


def test_demo_baselines_are_neither_always_right_nor_always_wrong(demo):
    """Some problems repeat the query answer in every example, some never show it (even normalised)."""
    always = [p for p in demo if all(e.answer == p.query.answer for e in p.examples)]
    never = [p for p in demo if normalise(p.query.answer) not in {normalise(e.answer) for e in p.examples}]
    assert always and never
    # normalisation matters: an example answer differs from the query's only in case and punctuation
    assert any(
        e.answer != p.query.answer and normalise(e.answer) == normalise(p.query.answer)
        for p in demo
        for e in p.examples
    )
    assert any(p.query.answer.isdigit() for p in demo)
    for seed in range(20):
        rng = random.Random(seed)
        for norm in (normalise, lambda s: s):  # exact match (normalised) and option identity (MCQA)
            rand = [norm(rng.choice(p.examples).answer) == norm(p.query.answer) for p in demo]
            major = [
                norm(Counter(e.answer for e in p.examples).most_common(1)[0][0]) == norm(p.query.answer)
                for p in demo
            ]
            assert 0 < sum(rand) < len(demo) and 0 < sum(major) < len(demo)


def test_demo_regenerates_byte_identical(tmp_path):
    assert make_demo.main(["--out", str(tmp_path)]) == 0
    bundled = sorted(p.relative_to(DEMO_DIR) for p in DEMO_DIR.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert bundled == fresh
    for rel in bundled:
        assert (tmp_path / rel).read_bytes() == (DEMO_DIR / rel).read_bytes(), rel
    assert sum((DEMO_DIR / rel).stat().st_size for rel in bundled) < 300_000


# --- local copies -------------------------------------------------------------------------------------


def test_local_jsonl_shuffled_rows(tmp_path, demo):
    rows = demo_rows()
    random.Random(0).shuffle(rows)
    write_jsonl(tmp_path / "copy" / "data.jsonl", rows)
    copy_demo_images(tmp_path / "copy")
    loaded = load_dataset_problems(resolve_source("smmile", dataset_path=str(tmp_path / "copy")))
    assert [key(p) for p in loaded.problems] == [key(p) for p in demo]
    assert {p.dataset for p in loaded.problems} == {"local"}
    assert loaded.revision and loaded.revision != load_dataset_problems(resolve_source("demo")).revision


def test_local_parquet_with_paths_and_hub_style_structs(tmp_path, demo):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = demo_rows()
    (tmp_path / "a").mkdir()
    copy_demo_images(tmp_path / "a")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a" / "data.parquet")
    loaded = load_dataset_problems(resolve_source("augmented", dataset_path=str(tmp_path / "a")))
    assert [key(p) for p in loaded.problems] == [key(p) for p in demo]
    assert loaded.name == "augmented" and {p.dataset for p in loaded.problems} == {"augmented"}

    # the hub's own parquet layout: image = {bytes, path}, split over several files
    structs = [{**r, "image": {"bytes": (DEMO_DIR / r["image"]).read_bytes(), "path": "x.png"}} for r in rows]
    (tmp_path / "b").mkdir()
    half = len(structs) // 2
    pq.write_table(pa.Table.from_pylist(structs[:half]), tmp_path / "b" / "train-00000-of-00002.parquet")
    pq.write_table(pa.Table.from_pylist(structs[half:]), tmp_path / "b" / "train-00001-of-00002.parquet")
    loaded = load_dataset_problems(resolve_source("smmile", dataset_path=str(tmp_path / "b")))
    assert [key(p) for p in loaded.problems] == [key(p) for p in demo]


@pytest.mark.parametrize("as_dict", [False, True])
def test_local_save_to_disk(tmp_path, demo, as_dict):
    import datasets

    ds = hub_dataset(demo_rows())
    (datasets.DatasetDict({"train": ds}) if as_dict else ds).save_to_disk(str(tmp_path / "saved"))
    loaded = load_dataset_problems(resolve_source("smmile", dataset_path=str(tmp_path / "saved")))
    assert [key(p) for p in loaded.problems] == [key(p) for p in demo]
    assert loaded.revision and len(loaded.revision) == 64


def test_single_row_problem_has_no_examples(tmp_path):
    rows = [r for r in demo_rows() if r["order"] == 0]
    write_jsonl(tmp_path / "data.jsonl", rows)
    copy_demo_images(tmp_path)
    problems = load_dataset_problems(resolve_source("local", dataset_path=str(tmp_path))).problems
    assert len(problems) == 12 and all(p.examples == () and p.query.order == 0 for p in problems)


# --- bad inputs ------------------------------------------------------------------------------------


def _bad_jsonl(folder: Path, text: bytes) -> Path:
    folder.mkdir(parents=True)
    (folder / "data.jsonl").write_bytes(text)
    return folder


def _row(**changes) -> bytes:
    row = {**demo_rows()[0], "image": None, **changes}
    return (json.dumps({k: v for k, v in row.items() if v != "DROP"}) + "\n").encode()


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: d / "nope", ["nope", "no such dataset folder"]),
        (lambda d: (d / "empty").mkdir() or d / "empty", ["empty", "no dataset found"]),
        (lambda d: _bad_jsonl(d / "c", _row(answer="DROP")), ["data.jsonl", "line 1", "answer"]),
        (lambda d: _bad_jsonl(d / "m", _row() + _row() + b'{"problem_id": "x", \n'), ["data.jsonl", "line 3", "malformed JSON"]),
        (lambda d: _bad_jsonl(d / "u", _row() + b'{"question": "caf\xe9"}\n'), ["data.jsonl", "line 2", "not UTF-8"]),
        (lambda d: _bad_jsonl(d / "l", _row() + b"[1, 2]\n"), ["data.jsonl", "line 2", "JSON object"]),
        (lambda d: _bad_jsonl(d / "o", _row(order="first")), ["data.jsonl", "line 1", "order 'first'"]),
        (lambda d: _bad_jsonl(d / "i", _row(image="images/none.png")), ["data.jsonl", "line 1", "images/none.png"]),
        (lambda d: _bad_jsonl(d / "e", b"\n\n"), ["data.jsonl", "no rows"]),
        (lambda d: (d / "bad.txt").write_text("x") and d / "bad.txt", ["bad.txt", "not a dataset folder"]),
    ],
    ids=["missing", "no-data-file", "missing-column", "malformed", "not-utf8", "not-object", "order", "image", "empty", "txt"],
)  # fmt: skip
def test_bad_local_inputs(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(FileProblem) as info:
        load_dataset_problems(resolve_source("local", dataset_path=str(path)), fetch_missing=False)
    message = str(info.value)
    assert "\n" not in message
    for part in expected:
        assert part in message


def test_bad_parquet_and_saved_folders(tmp_path):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "p").mkdir()
    rows = [{k: v for k, v in r.items() if k != "image"} for r in demo_rows()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "p" / "data.parquet")
    with pytest.raises(FileProblem, match=r"data\.parquet: missing required column\(s\) image"):
        load_dataset_problems(resolve_source("local", dataset_path=str(tmp_path / "p")))
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "data.parquet").write_bytes(b"not parquet")
    with pytest.raises(FileProblem, match=r"data\.parquet: unreadable parquet"):
        load_dataset_problems(resolve_source("local", dataset_path=str(tmp_path / "q")))
    datasets.DatasetDict({"test": hub_dataset(demo_rows()[:3])}).save_to_disk(str(tmp_path / "s"))
    with pytest.raises(FileProblem, match="no 'train' split"):
        load_dataset_problems(resolve_source("local", dataset_path=str(tmp_path / "s")))


# --- the hub ---------------------------------------------------------------------------------------


def hub_dataset(rows: list[dict]):
    """An in-memory dataset with the hub's features (images as bytes; None stays None)."""
    import datasets

    features = datasets.Features(
        {
            "problem_id": datasets.Value("string"),
            "order": datasets.Value("int64"),
            "image": datasets.Image(),
            "image_url": datasets.Value("string"),
            "question": datasets.Value("string"),
            "answer": datasets.Value("string"),
            "speciality": datasets.Value("string"),
            **{flag: datasets.Value("string") for flag in FLAG_COLUMNS},
        }
    )
    records = [
        {
            **r,
            "image": None
            if r["image"] is None
            else {"bytes": (DEMO_DIR / r["image"]).read_bytes(), "path": None},
        }
        for r in rows
    ]
    return datasets.Dataset.from_list(records, features=features)


def test_hub_rows_become_the_same_problems(tmp_path, monkeypatch, demo):
    import datasets

    rows = demo_rows()
    rows[4] = {**rows[4], "image": None}  # filled from the image folder by the URL's last segment
    (tmp_path / "missing").mkdir()
    shutil.copy(
        DEMO_DIR / demo_rows()[4]["image"], tmp_path / "missing" / rows[4]["image_url"].split("/")[-1]
    )
    calls = []

    def fake_load_dataset(path, **kwargs):
        calls.append((path, kwargs))
        return hub_dataset(rows)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    monkeypatch.setattr("smmile.hub.check_access", lambda *args: None)  # the quick probe passes
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    loaded = load_dataset_problems(
        resolve_source("smmile"), image_dir=tmp_path / "missing", hf_cache_dir=str(tmp_path / "cache")
    )
    assert calls == [
        ("smmile/SMMILE", {"split": "train", "token": "hf_test_token", "cache_dir": str(tmp_path / "cache")})
    ]
    assert [key(p) for p in loaded.problems] == [key(p) for p in demo]
    assert loaded.name == "smmile" and loaded.dataset_id == "smmile/SMMILE" and loaded.revision is None
    assert loaded.skipped == {} and all(p.dataset == "smmile" for p in loaded.problems)

    monkeypatch.delenv("HF_TOKEN")
    load_dataset_problems(resolve_source("augmented"), fetch_missing=False)
    assert calls[-1][0] == "smmile/SMMILE-plusplus" and calls[-1][1]["token"] is None


def test_hub_revision_from_cache_path():
    class Cached:
        cache_files = [
            {"filename": "/c/smmile___smmile/default/0.0.0/" + "ab12" * 10 + "/smmile-train.arrow"}
        ]

    assert hub_revision(Cached()) == "ab12" * 10
    assert hub_revision(object()) is None


@pytest.mark.parametrize("kind", ["not-found", "gated", "offline"])
def test_hub_access_errors_become_user_errors(monkeypatch, kind):
    import datasets
    import httpx
    from datasets.exceptions import DatasetNotFoundError
    from huggingface_hub.errors import GatedRepoError

    def fail(path, **kwargs):
        if kind == "not-found":
            raise DatasetNotFoundError(
                f"Dataset '{path}' is a gated dataset on the Hub. You must be authenticated."
            )
        if kind == "gated":
            request = httpx.Request("GET", f"https://huggingface.co/api/datasets/{path}")
            raise GatedRepoError(
                "403 Client Error.\nCannot access gated repo", response=httpx.Response(403, request=request)
            )
        raise ConnectionError("Couldn't reach the Hub (offline mode is enabled)")

    monkeypatch.setattr(datasets, "load_dataset", fail)
    monkeypatch.setattr("smmile.hub.check_access", lambda *args: None)  # the quick probe passes
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    if kind == "offline":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(UserError) as info:
        load_dataset_problems(resolve_source("smmile"))
    message = str(info.value)
    assert "\n" not in message and "smmile/SMMILE" in message
    assert ("HF_HUB_OFFLINE" if kind == "offline" else "HF_TOKEN") in message
    assert "--dataset-path" in message and "--dataset demo" in message
    assert "hf_secret_value" not in message


def test_hub_other_errors_are_not_hidden(monkeypatch):
    import datasets

    def fail(path, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(datasets, "load_dataset", fail)
    monkeypatch.setattr("smmile.hub.check_access", lambda *args: None)
    with pytest.raises(RuntimeError, match="a bug"):
        load_dataset_problems(resolve_source("smmile"))


# --- missing images -----------------------------------------------------------------------------------


def test_image_file_names():
    url = "https://smmile.org/_next/image?url=https%3A%2F%2Fx.org%2Fa.png&w=1920&q=75"
    assert image_file_names(url) == [
        "image?url=https%3A%2F%2Fx.org%2Fa.png&w=1920&q=75",
        "image_url_https_3A_2F_2Fx.org_2Fa.png_w_1920_q_75",
    ]
    assert image_file_names("https://x.org/a/scan.png") == ["scan.png"]
    assert image_file_names("https://x.org/a/..") == [safe_image_name("https://x.org/a/..")]
    assert image_file_names("https://x.org/a/.hidden.png") == ["hidden.png"]
    assert image_file_names("https://x.org/a/b\\..\\c.png") == ["b_._c.png"]
    long = "https://x.org/" + "a" * 400 + ".jpeg"
    name = safe_image_name(long)
    assert len(name) == 150 and name.endswith(".jpeg") and name != safe_image_name(long + "x")
    assert safe_image_name("https://x.org/").startswith("image_")


def test_missing_image_found_in_folder_by_raw_and_sanitised_name(tmp_path):
    folder = tmp_path / "missing"
    folder.mkdir()
    raw_url = "https://smmile.org/_next/image?url=https%3A%2F%2Fx.org%2Fa.png&w=1920&q=75"
    (folder / "image?url=https%3A%2F%2Fx.org%2Fa.png&w=1920&q=75").write_bytes(PNG)
    ref = resolve_missing_image(raw_url, folder, fetch=False)
    assert (
        ref is not None
        and ref.path.name.startswith("image?url=")
        and ref.sha256 == hashlib.sha256(PNG).hexdigest()
    )

    odd_url = "https://x.org/cases/scan 1(b).png"
    (folder / "scan_1_b_.png").write_bytes(PNG)
    ref = resolve_missing_image(odd_url, folder, fetch=False)
    assert ref is not None and ref.path == folder / "scan_1_b_.png"

    (folder / "broken.png").write_bytes(b"not an image")
    assert resolve_missing_image("https://x.org/broken.png", folder, fetch=False) is None
    assert resolve_missing_image("https://x.org/absent.png", folder, fetch=False) is None
    assert resolve_missing_image(None, folder) is None


def test_missing_image_fetched_and_saved(tmp_path, image_server):
    srv, base = image_server
    folder = tmp_path / "missing"
    ref = resolve_missing_image(f"{base}/img/case%201.png?size=large", folder, timeout=5)
    assert ref is not None and ref.sha256 == hashlib.sha256(PNG).hexdigest()
    name = cache_name(f"{base}/img/case%201.png?size=large")  # a readable stem and a hash of the URL
    assert name.startswith("case_201.png_size_large-") and len(name) == len("case_201.png_size_large-") + 12
    assert ref.path == folder / name and ref.path.read_bytes() == PNG
    assert [p.name for p in folder.iterdir()] == [name]  # no temporary file left
    ref = resolve_missing_image(f"{base}/redirect/r.png", folder, timeout=5)
    assert ref is not None and (folder / cache_name(f"{base}/redirect/r.png")).read_bytes() == PNG
    # found in the folder now: not fetched again
    before = len(srv.requests)
    assert resolve_missing_image(f"{base}/img/case%201.png?size=large", folder, timeout=5) is not None
    assert len(srv.requests) == before
    # without an image folder the image is kept in memory
    ref = resolve_missing_image(f"{base}/img/mem.png", None, timeout=5)
    assert ref is not None and ref.path is None and ref.read_bytes() == PNG


@pytest.mark.parametrize("path", ["/404/x.png", "/slow/x.png", "/junk/x.png"])
def test_missing_image_failures_return_none(tmp_path, image_server, path):
    _, base = image_server
    folder = tmp_path / "missing"
    started = time.monotonic()
    assert resolve_missing_image(base + path, folder, timeout=0.3) is None
    assert time.monotonic() - started < 1.4
    assert not folder.exists() or list(folder.iterdir()) == []
    assert resolve_missing_image("ftp://127.0.0.1/x.png", folder) is None
    assert resolve_missing_image("file:///etc/hostname", folder) is None


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def test_malicious_urls_never_escape_the_image_folder(tmp_path, image_server):
    _, base = image_server
    folder = tmp_path / "work" / "missing"
    folder.mkdir(parents=True)
    (tmp_path / "work" / "evil.png").write_bytes(b"decoy outside")
    (tmp_path / "outside.png").write_bytes(b"target outside")
    (folder / "link.png").symlink_to(tmp_path / "outside.png")
    (folder / cache_name(f"{base}/cached/link.png")).symlink_to(tmp_path / "outside.png")
    outside_before = {k: v for k, v in _tree(tmp_path).items() if not k.startswith("work/missing/")}

    urls = [
        f"{base}/../../etc/passwd",
        f"{base}/a/%2e%2e%2fx",
        f"{base}/a/..%2F..%2Fevil.png",
        f"{base}/a/..\\..\\evil.png",
        f"{base}/a/..",
        f"{base}/a/.",
        f"{base}/a/.bashrc",
        f"{base}/link.png",
        f"{base}/cached/link.png",
        f"{base}/a/x\x00y.png",
        f"{base}/a/" + "%2e" * 100 + ".png",
    ]
    results = {url: resolve_missing_image(url, folder, timeout=5) for url in urls}

    outside_after = {k: v for k, v in _tree(tmp_path).items() if not k.startswith("work/missing/")}
    assert outside_after == outside_before
    assert (tmp_path / "outside.png").read_bytes() == b"target outside"
    for url, ref in results.items():
        if ref is not None and ref.path is not None:
            assert ref.path.resolve().parent == folder.resolve(), url
            assert ref.read_bytes() == PNG
    # a link named as a URL's image would be saved under is never followed: kept in memory instead
    linked = results[f"{base}/cached/link.png"]
    assert linked is not None and linked.path is None and linked.read_bytes() == PNG
    for entry in folder.iterdir():
        assert not entry.name.startswith(".") and ".." not in entry.name and "\\" not in entry.name


def test_loader_fills_fetches_and_skips(tmp_path, image_server, demo):
    srv, base = image_server
    rows = demo_rows()
    by_pid = {p.problem_id: p for p in demo}
    pids = sorted(by_pid)
    fetched_pid, skipped_pid, local_pid = pids[0], pids[1], pids[2]
    for row in rows:
        if row["problem_id"] == fetched_pid:  # two rows share one URL: fetched once
            row.update(image=None, image_url=f"{base}/img/shared.png")
        elif row["problem_id"] == skipped_pid and row["order"] == 1:
            row.update(image=None, image_url=f"{base}/404/gone.png")
        elif row["problem_id"] == local_pid and row["order"] == 0:
            row.update(image=None)
    write_jsonl(tmp_path / "copy" / "data.jsonl", rows)
    copy_demo_images(tmp_path / "copy")
    folder = tmp_path / "missing"
    folder.mkdir()
    local_row = next(r for r in demo_rows() if r["problem_id"] == local_pid and r["order"] == 0)
    shutil.copy(DEMO_DIR / local_row["image"], folder / local_row["image_url"].split("/")[-1])

    source = resolve_source("local", dataset_path=str(tmp_path / "copy"))
    loaded = load_dataset_problems(source, image_dir=folder, fetch_timeout=5)
    assert loaded.skipped == {skipped_pid: [f"{base}/404/gone.png"]}
    got = {p.problem_id: p for p in loaded.problems}
    assert sorted(got) == [p for p in pids if p != skipped_pid]
    assert {t.image.sha256 for t in got[fetched_pid].triplets} == {hashlib.sha256(PNG).hexdigest()}
    assert (folder / cache_name(f"{base}/img/shared.png")).read_bytes() == PNG
    assert srv.requests.count("/img/shared.png") == 1
    assert key(got[local_pid]) == key(by_pid[local_pid])

    offline = load_dataset_problems(source, image_dir=tmp_path / "empty", fetch_missing=False)
    assert set(offline.skipped) == {fetched_pid, skipped_pid, local_pid}
    assert offline.skipped[fetched_pid] == [f"{base}/img/shared.png"] * len(by_pid[fetched_pid].triplets)


def test_row_without_image_or_url_is_skipped(tmp_path):
    rows = demo_rows()
    rows[0] = {**rows[0], "image": None, "image_url": None}
    write_jsonl(tmp_path / "data.jsonl", rows)
    copy_demo_images(tmp_path)
    loaded = load_dataset_problems(resolve_source("local", dataset_path=str(tmp_path)), fetch_missing=False)
    assert (
        list(loaded.skipped) == [rows[0]["problem_id"]]
        and "no image_url" in loaded.skipped[rows[0]["problem_id"]][0]
    )
    assert len(loaded.problems) == 11


# --- properties --------------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_safe_image_name_properties(segment):
    for url in (segment, "https://example.org/a/" + segment, "https://example.org/" + segment + "/"):
        name = safe_image_name(url)
        assert name == safe_image_name(url)
        assert name and len(name) <= images_module.MAX_NAME_LENGTH
        assert "/" not in name and "\\" not in name and "\0" not in name
        assert not name.startswith(".") and name not in (".", "..") and ".." not in name
        assert all(images_module.is_safe_name(n) for n in image_file_names(url))
