"""EXIF orientation: every image source gives the model the pixels the `datasets` Image feature gives."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smmile.data import load_dataset_problems, resolve_missing_image, resolve_source
from smmile.models.api.images import ImageEncoder
from smmile.types import ImageRef

ROTATE_90_CW = 6  # EXIF Orientation: the stored pixels must be turned 90 degrees clockwise to be seen


def _stored() -> Image.Image:
    """A 40x20 image whose quadrants differ, so a rotation or a flip shows in the pixels."""
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 255, 0), (20, 0, 40, 10))
    img.paste((0, 0, 255), (0, 10, 20, 20))
    return img


def _oriented_file(fmt: str) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = ROTATE_90_CW
    out = io.BytesIO()
    _stored().save(out, format=fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def _hub_decoded(data: bytes) -> np.ndarray:
    """What the `datasets` Image feature makes of these bytes when it decodes a hub row."""
    import datasets

    ds = datasets.Dataset.from_dict(
        {"image": [{"bytes": data, "path": None}]}, features=datasets.Features({"image": datasets.Image()})
    )
    return np.asarray(ds[0]["image"].convert("RGB"))


@pytest.fixture(params=["JPEG", "PNG"])
def oriented_bytes(request) -> bytes:
    return _oriented_file(request.param)


def _row(image: str | None, url: str | None = None) -> dict:
    return {"problem_id": "p1", "order": 1, "image": image, "image_url": url, "question": "q?", "answer": "a"}


def test_decoding_applies_the_orientation_as_the_hub_feature_does(oriented_bytes):
    with Image.open(io.BytesIO(oriented_bytes)) as stored:
        assert stored.size == (40, 20)  # stored landscape
    hub = _hub_decoded(oriented_bytes)
    ours = np.asarray(ImageRef.from_bytes(oriented_bytes).open())
    assert ours.shape == hub.shape == (40, 20, 3)  # seen portrait: turned
    assert np.array_equal(ours, hub)


def test_a_local_copy_gives_the_hub_pixels(tmp_path, oriented_bytes):
    (tmp_path / "copy" / "images").mkdir(parents=True)
    (tmp_path / "copy" / "images" / "x.img").write_bytes(oriented_bytes)
    rows = [_row("images/x.img"), {**_row("images/x.img"), "order": 2}]
    (tmp_path / "copy" / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    loaded = load_dataset_problems(resolve_source(dataset_path=str(tmp_path / "copy")), fetch_missing=False)
    ref = loaded.problems[0].query.image
    assert np.array_equal(np.asarray(ref.open()), _hub_decoded(oriented_bytes))


def test_a_saved_hub_dataset_gives_the_hub_pixels(tmp_path, oriented_bytes):
    import datasets

    features = datasets.Features(
        {**{k: datasets.Value("string") for k in ("problem_id", "question", "answer", "image_url")},
         "order": datasets.Value("int64"), "image": datasets.Image()}
    )  # fmt: skip
    rows = [{**_row(None), "image": {"bytes": oriented_bytes, "path": None}, "order": k} for k in (1, 2)]
    datasets.Dataset.from_list(rows, features=features).save_to_disk(str(tmp_path / "saved"))
    loaded = load_dataset_problems(resolve_source(dataset_path=str(tmp_path / "saved")), fetch_missing=False)
    ref = loaded.problems[0].query.image
    assert np.array_equal(np.asarray(ref.open()), _hub_decoded(oriented_bytes))


@pytest.fixture
def serve(monkeypatch):
    """A loopback HTTP server answering every GET with the bytes given to it."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    body: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body["data"])))
            self.end_headers()
            self.wfile.write(body["data"])

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()

    def url_for(data: bytes) -> str:
        body["data"] = data
        return f"http://127.0.0.1:{srv.server_address[1]}/cases/scan.jpg"

    try:
        yield url_for
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def test_an_image_dir_file_and_a_fetched_image_give_the_hub_pixels(tmp_path, serve, oriented_bytes):
    folder = tmp_path / "missing"
    folder.mkdir()
    (folder / "scan.jpg").write_bytes(oriented_bytes)
    found = resolve_missing_image("https://x.org/scan.jpg", folder, fetch=False)
    assert found is not None and np.array_equal(np.asarray(found.open()), _hub_decoded(oriented_bytes))

    fetched = resolve_missing_image(serve(oriented_bytes), tmp_path / "fetched")
    assert fetched is not None and np.array_equal(np.asarray(fetched.open()), _hub_decoded(oriented_bytes))


def test_api_requests_carry_the_oriented_pixels(oriented_bytes):
    encoded = ImageEncoder().encode(ImageRef.from_bytes(oriented_bytes))
    with Image.open(io.BytesIO(base64.b64decode(encoded.b64))) as sent:
        assert np.array_equal(np.asarray(sent.convert("RGB")), _hub_decoded(oriented_bytes))


def test_an_image_without_orientation_is_unchanged(tmp_path):
    out = io.BytesIO()
    _stored().save(out, format="PNG")
    ref = ImageRef.from_bytes(out.getvalue())
    assert np.array_equal(np.asarray(ref.open()), np.asarray(_stored()))
    assert ImageEncoder().encode(ref).b64 == base64.b64encode(out.getvalue()).decode("ascii")  # as stored


def test_demo_images_decode_as_the_hub_would(tmp_path):
    from smmile.data import DEMO_DIR

    for path in sorted(Path(DEMO_DIR / "images").iterdir())[:6]:
        data = path.read_bytes()
        assert np.array_equal(np.asarray(ImageRef.from_path(path).open()), _hub_decoded(data))
