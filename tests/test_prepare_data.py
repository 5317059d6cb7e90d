"""prepare_data.py on a stubbed hub (a local datasets repo) and a loopback image server; then an
inference script, offline, finds the dataset in the cache and every image in the image folder."""

from __future__ import annotations

import json
import re

import inference_baselines
import prepare_data
import pytest
from test_data import demo_rows, hub_dataset

from smmile.data import DEMO_DIR
from smmile.data.images import cache_name, image_file_names


@pytest.fixture
def hub(tmp_path, monkeypatch, image_server):
    """The hub ids served from local parquet repos; three images only at their URL, one of them gone."""
    import datasets

    srv, base = image_server
    rows = demo_rows()
    missing = {2: f"{base}/img/scan%202.png", 5: f"{base}/img/a/b.png?w=640", 9: f"{base}/404/gone.png"}
    for index, url in missing.items():
        rows[index] = {**rows[index], "image": None, "image_url": url}
    perm = [{**r, "problem_id": f"{r['problem_id']}_perm_1"} for r in rows]
    repos = {}
    for hub_id, data in (("smmile/SMMILE", rows), ("smmile/SMMILE-plusplus", perm)):
        repo = tmp_path / "hub" / hub_id
        (repo / "data").mkdir(parents=True)
        hub_dataset(data).to_parquet(str(repo / "data" / "train-00000-of-00001.parquet"))
        repos[hub_id] = repo
    real_load = datasets.load_dataset
    calls = []

    def load_dataset(path, split=None, token=None, cache_dir=None):
        calls.append((path, cache_dir))
        return real_load(str(repos[path]), split=split, cache_dir=cache_dir)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.setattr("smmile.hub.check_access", lambda *args: None)  # the stand-in hub lets us in
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "default-cache")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    lost = next(r["problem_id"] for i, r in enumerate(rows) if i == 9)
    return srv, missing, calls, lost


def test_prepare_then_run_offline(tmp_path, hub, capsys, monkeypatch):
    srv, missing, calls, lost = hub
    cache, images = tmp_path / "cache", tmp_path / "images"
    code = prepare_data.main(
        ["--dataset", "smmile", "augmented", "--hf-cache-dir", str(cache), "--image-dir", str(images)]
    )
    out = capsys.readouterr().out
    assert code == 1  # one image could not be fetched
    assert [c[0] for c in calls] == ["smmile/SMMILE", "smmile/SMMILE-plusplus"]
    assert all(c[1] == str(cache) for c in calls) and list(cache.rglob("*.arrow"))
    # what a job needs, with absolute folders
    assert "export HF_HUB_OFFLINE=1" in out
    assert f"--hf-cache-dir {cache}" in out and f"--image-dir {images}" in out
    assert "SMMILE (smmile/SMMILE): 11 problem(s) ready; 1 problem(s) lack an image" in out
    # every fetchable image is in the folder under a name the loader looks for
    for url in list(missing.values())[:2]:
        assert any((images / name).is_file() for name in [cache_name(url), *image_file_names(url)]), url
    # the one it could not get is listed with its problem and the name to save it under
    assert f"  SMMILE {lost}: {missing[9]} -> {cache_name(missing[9])} (HTTP 404)" in out
    assert f"  SMMILE++ {lost}_perm_1: {missing[9]} -> {cache_name(missing[9])} (HTTP 404)" in out
    fetched = len(srv.requests)

    # offline: the inference script loads from the cache and the image folder, fetching nothing
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results = tmp_path / "results"
    argv = ["--baseline", "majority", "--hf-cache-dir", str(cache), "--image-dir", str(images)]
    assert inference_baselines.main([*argv, "--output-dir", str(results), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert len(srv.requests) == fetched
    assert calls[-1] == ("smmile/SMMILE", str(cache))
    records = [
        json.loads(line) for line in (results / "result_majority_ICL_open.jsonl").read_text().splitlines()
    ]
    assert len(records) == 11 and lost not in {r["problem_id"] for r in records}
    assert "1 problem(s) skipped" in err and "prepare_data.py" in err and missing[9] in err


def test_every_image_present_exits_zero(tmp_path, hub, capsys):
    images = tmp_path / "images"
    images.mkdir()
    # the image that cannot be fetched, dropped in by hand under the listed name
    (images / "gone.png").write_bytes((DEMO_DIR / "images" / "lesion_4.png").read_bytes())
    assert prepare_data.main(["--dataset", "smmile", "--image-dir", str(images)]) == 0
    out = capsys.readouterr().out
    assert "12 problem(s) ready, every image present" in out
    assert f"the cache is the default one, {tmp_path / 'default-cache'}" in out
    assert list((tmp_path / "default-cache").rglob("*.arrow")) and "could not be fetched" not in out


def test_refused_offline_and_with_an_id_for_two_datasets(monkeypatch, capsys):
    from utils import run_script

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert run_script(prepare_data.main, ["--dataset", "smmile"]) == 2
    assert "HF_HUB_OFFLINE is set" in capsys.readouterr().err
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert run_script(prepare_data.main, ["--dataset", "smmile", "augmented", "--dataset-id", "x/y"]) == 2
    assert "--dataset-id names one dataset" in capsys.readouterr().err


def test_a_fetch_past_the_budget_is_listed_with_the_reason(tmp_path, hub, capsys, monkeypatch):
    import datasets

    srv, missing, calls, lost = hub
    real = datasets.load_dataset

    def slow_images(path, **kw):  # the same repos, the missing images now answer after 1.5 s
        ds = real(path, **kw)
        return ds.map(lambda r: {"image_url": (r["image_url"] or "").replace("/img/", "/slow/")})

    monkeypatch.setattr(datasets, "load_dataset", slow_images)
    images = tmp_path / "images"
    argv = ["--dataset", "smmile", "--image-dir", str(images), "--image-fetch-budget", "0.3"]
    assert prepare_data.main(argv) == 1
    captured = capsys.readouterr()
    assert "3 problem(s) lack an image" in captured.out
    # in flight or never sent when the budget ran out: which of the two comes first is timing
    assert re.search(
        r"\((not fetched: the time budget of 0\.3 s was used up|no image within the time budget of 0\.3 s)\)",
        captured.out,
    )
    assert "budget 0.3 s" in captured.err  # the loader's note on stopping
