"""Image identity and bounded fetching: one file per URL, hand-downloaded files used only when their
name is unambiguous, fetching in parallel within a total time budget with what was skipped listed."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

from helpers import run_script
from helpers.image_server import PNG, distinct_png

from smmile.data import DEMO_DIR, cache_name, load_dataset_problems, resolve_missing_images, resolve_source
from smmile.data.images import is_safe_name


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def demo_rows() -> list[dict]:
    return [json.loads(line) for line in (DEMO_DIR / "data.jsonl").read_text().splitlines()]


def dataset_with_urls(folder: Path, urls: dict[str, str]) -> Path:
    """The demo as a local copy whose query row of each problem in `urls` has no image, only the URL."""
    rows = demo_rows()
    last = {pid: max(r["order"] for r in rows if r["problem_id"] == pid) for pid in urls}
    for row in rows:
        if row["problem_id"] in urls and row["order"] == last[row["problem_id"]]:
            row.update(image=None, image_url=urls[row["problem_id"]])
    folder.mkdir(parents=True)
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    shutil.copytree(DEMO_DIR / "images", folder / "images")
    return folder


def pids(n: int) -> list[str]:
    return sorted({r["problem_id"] for r in demo_rows()})[:n]


def test_cache_names_are_unique_per_url_readable_and_safe():
    a, b = "https://x.org/a/image.png", "https://x.org/b/image.png"
    assert cache_name(a) != cache_name(b)
    assert cache_name(a).startswith("image-") and cache_name(a).endswith(".png")
    assert cache_name(a) == cache_name(a)
    for url in (a, "https://x.org/../../etc/passwd", "https://x.org/a/..", "https://x.org/", "x" * 500):
        assert is_safe_name(cache_name(url)) and len(cache_name(url)) < 100, url


def test_urls_with_the_same_last_segment_get_their_own_images(tmp_path, image_server):
    """Reported: …/a/image.png and …/b/image.png shared one file, so every row got the first image."""
    _, base = image_server
    chosen = pids(4)
    urls = {pid: f"{base}/distinct/{k}/image.png" for k, pid in enumerate(chosen)}
    source = resolve_source("local", dataset_path=str(dataset_with_urls(tmp_path / "copy", urls)))
    folder = tmp_path / "missing"
    for attempt in ("fetched", "from the folder"):
        loaded = load_dataset_problems(source, image_dir=folder, fetch_timeout=5)
        got = {p.problem_id: p.query.image.sha256 for p in loaded.problems if p.problem_id in urls}
        assert got == {pid: sha(distinct_png(url.removeprefix(base))) for pid, url in urls.items()}, attempt
    assert sorted(p.name for p in folder.iterdir()) == sorted(cache_name(u) for u in urls.values())


def test_a_hand_downloaded_file_is_used_when_its_name_is_unambiguous(tmp_path):
    chosen = pids(2)
    urls = {chosen[0]: "https://x.org/cases/scan-17.png", chosen[1]: "https://x.org/cases/other.png"}
    source = resolve_source("local", dataset_path=str(dataset_with_urls(tmp_path / "copy", urls)))
    folder = tmp_path / "missing_images"
    folder.mkdir()
    (folder / "scan-17.png").write_bytes(PNG)  # the authors' convention: the URL's last segment
    loaded = load_dataset_problems(source, image_dir=folder, fetch_missing=False)
    by_id = {p.problem_id: p for p in loaded.problems}
    assert by_id[chosen[0]].query.image.sha256 == sha(PNG)
    assert list(loaded.skipped) == [chosen[1]] and loaded.image_notes == []
    assert "fetching is off" in loaded.missing_images[urls[chosen[1]]]


def test_an_ambiguous_hand_downloaded_file_is_refused_naming_the_rows(tmp_path):
    chosen = pids(3)
    urls = {pid: f"https://x.org/{k}/image.png" for k, pid in enumerate(chosen[:2])}
    urls[chosen[2]] = "https://x.org/c/unique.png"
    dataset = dataset_with_urls(tmp_path / "copy", urls)
    folder = tmp_path / "missing_images"
    folder.mkdir()
    (folder / "image.png").write_bytes(PNG)
    (folder / cache_name(urls[chosen[1]])).write_bytes(distinct_png("b"))  # saved as the run names it
    source = resolve_source("local", dataset_path=str(dataset))
    loaded = load_dataset_problems(source, image_dir=folder, fetch_missing=False)
    assert list(loaded.skipped) == [chosen[0], chosen[2]]
    by_id = {p.problem_id: p for p in loaded.problems}
    assert by_id[chosen[1]].query.image.sha256 == sha(distinct_png("b"))
    (note,) = loaded.image_notes
    assert str(folder / "image.png") in note and "not used" in note and "2 different image URLs" in note
    assert f"{chosen[0]}#" in note and urls[chosen[0]] in note and f"{chosen[1]}#" not in note

    proc = run_script(
        "inference_baselines.py",
        "--dataset-path",
        dataset,
        "--image-dir",
        folder,
        "--output-dir",
        tmp_path / "results",
        "--no-progress",
        "--baseline",
        "majority",
        env={"HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert note in proc.stderr.splitlines()
    assert f"  {chosen[0]}: {urls[chosen[0]]} -> {cache_name(urls[chosen[0]])}" in proc.stderr


def test_fetching_is_parallel_and_a_hanging_url_is_bounded_by_the_budget(tmp_path, image_server):
    srv, base = image_server
    rows = {f"{base}/slow/{k}.png": [f"p{k}#0"] for k in range(6)}
    rows[f"{base}/hang/forever.png"] = ["hang#0"]
    rows[f"{base}/404/gone.png"] = ["gone#0"]
    rows[f"{base}/junk/page.png"] = ["junk#0"]
    started = time.monotonic()
    got = resolve_missing_images(rows, tmp_path / "missing", budget=4.0, timeout=60.0, concurrency=8)
    elapsed = time.monotonic() - started
    assert elapsed < 30  # generous: the hanging URL would hold a serial fetch for its 60 s timeout
    assert sorted(got.images) == sorted(u for u in rows if "/slow/" in u)
    assert srv.peak >= 2  # several requests were in flight at once
    assert set(got.missing) == {f"{base}/hang/forever.png", f"{base}/404/gone.png", f"{base}/junk/page.png"}
    assert "4 s" in got.missing[f"{base}/hang/forever.png"]
    assert got.missing[f"{base}/404/gone.png"] == "HTTP 404"
    assert got.missing[f"{base}/junk/page.png"] == "not an image"


def test_urls_beyond_the_budget_are_listed_not_waited_for(tmp_path, image_server):
    _, base = image_server
    rows = {f"{base}/hang/{k}.png": [f"p{k}#0"] for k in range(5)}
    got = resolve_missing_images(rows, tmp_path / "missing", budget=1.0, timeout=60.0, concurrency=2)
    assert set(got.missing) == set(rows) and not got.images
    unsent = [u for u, why in got.missing.items() if why.startswith("not fetched: the time budget of 1 s")]
    assert len(unsent) == 3  # two were in flight when the budget ran out; the others never sent
    assert any("image fetching stopped" in n and "3 image URL(s) not tried" in n for n in got.notes)


def test_a_url_of_a_row_with_its_image_makes_the_name_ambiguous_too(tmp_path):
    """Within the dataset: the demo's rows keep their images but their URLs end in fracture_0.png etc."""
    rows = demo_rows()
    taken = rows[0]["image_url"].rsplit("/", 1)[-1]
    target = pids(12)[-1]
    dataset = dataset_with_urls(tmp_path / "copy", {target: f"https://x.org/elsewhere/{taken}"})
    folder = tmp_path / "missing_images"
    folder.mkdir()
    (folder / taken).write_bytes(PNG)
    loaded = load_dataset_problems(
        resolve_source("local", dataset_path=str(dataset)), image_dir=folder, fetch_missing=False
    )
    assert list(loaded.skipped) == [target]
    (note,) = loaded.image_notes
    assert f"{folder / taken}: not used: 2 different image URLs" in note and f"{target}#" in note
