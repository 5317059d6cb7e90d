"""The API backends' shared machinery: concurrency, image encoding and resizing, secrets, flags."""

from __future__ import annotations

import asyncio
import base64
import io
import random

import pytest
from PIL import Image as PILImage

from smmile.errors import UserError
from smmile.models.api.backend import ApiSettings
from smmile.models.api.concurrency import stream_concurrently
from smmile.models.api.errors import error_text
from smmile.models.api.images import ImageEncoder, ImageLimits
from smmile.models.api.retry import RetryPolicy
from smmile.redaction import REDACTED, public_url, redact
from smmile.results.result_ids import check_result_id, result_id
from smmile.types import ImageRef


def image_bytes(size=(64, 32), mode="RGB", fmt="PNG") -> bytes:
    """Seeded noise: its PNG size grows with the pixel count."""
    rng = random.Random(size[0] * 1000 + size[1])
    img = PILImage.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def decoded(b64: str) -> PILImage.Image:
    return PILImage.open(io.BytesIO(base64.b64decode(b64)))


# --- secrets -------------------------------------------------------------------------------------


def test_redact_and_error_text_hide_the_key():
    key = "sk-test-very-secret-123"
    exc = RuntimeError(f"401 from server: Incorrect API key provided: {key}\nplease check")
    text = error_text(exc, [key])
    assert key not in text and REDACTED in text and "\n" not in text
    assert text.startswith("RuntimeError: 401")
    assert redact("nothing here", [key, ""]) == "nothing here"


def test_public_url_drops_credentials_and_query():
    url = "https://user:pw@example.org:8443/openai/v1?api-key=abc#frag"
    assert public_url(url) == "https://example.org:8443/openai/v1"


# --- images --------------------------------------------------------------------------------------


def test_rgb_png_within_limits_is_sent_as_is_and_encoded_once():
    raw = image_bytes()
    ref = ImageRef.from_bytes(raw)
    enc = ImageEncoder()
    first = enc.encode(ref)
    again = enc.encode(ImageRef.from_bytes(raw))  # another ImageRef of the same content
    assert base64.b64decode(first.b64) == raw
    assert again is first and enc.encoded == 1
    assert first.data_url.startswith("data:image/png;base64,")
    assert enc.resized == {}


@pytest.mark.parametrize("mode, fmt", [("RGB", "JPEG"), ("L", "PNG"), ("P", "PNG")])
def test_other_images_become_png(mode, fmt):
    ref = ImageRef.from_bytes(image_bytes(mode=mode, fmt=fmt))
    out = decoded(ImageEncoder().encode(ref).b64)
    assert out.format == "PNG" and out.mode == "RGB" and out.size == (64, 32)


def test_many_image_requests_cap_the_side_deterministically():
    limits = ImageLimits(max_side=1000, many_images=2, many_max_side=40)
    ref = ImageRef.from_bytes(image_bytes(size=(100, 50)))
    enc = ImageEncoder(limits)
    alone = enc.encode(ref, n_images=2)
    crowded = enc.encode(ref, n_images=3)
    assert decoded(alone.b64).size == (100, 50)
    assert decoded(crowded.b64).size == (40, 20)
    assert enc.encoded == 2  # one encoding per size cap
    assert enc.resized[ref.sha256]["from"] == [100, 50] and enc.resized[ref.sha256]["to"] == [40, 20]
    assert "3 images" in enc.resized[ref.sha256]["reason"]
    assert ImageEncoder(limits).encode(ref, n_images=3).b64 == crowded.b64


def test_byte_limit_shrinks_until_it_fits_the_same_way_every_run():
    ref = ImageRef.from_bytes(image_bytes(size=(300, 300)))
    limit = 4000
    first, second = (
        ImageEncoder(ImageLimits(max_b64_chars=limit)),
        ImageEncoder(ImageLimits(max_b64_chars=limit)),
    )
    a, b = first.encode(ref), second.encode(ref)
    assert len(a.b64) <= limit and a.b64 == b.b64
    w, h = decoded(a.b64).size
    assert w < 300 and h < 300 and w == h
    assert first.resized[ref.sha256]["to"] == [w, h]
    assert "base64 size" in first.resized[ref.sha256]["reason"]


def test_an_image_that_cannot_fit_is_an_error_not_a_drop():
    ref = ImageRef.from_bytes(image_bytes(size=(50, 50)))
    with pytest.raises(ValueError, match="does not fit"):
        ImageEncoder(ImageLimits(max_b64_chars=10)).encode(ref)


# --- concurrency ---------------------------------------------------------------------------------


class Client:
    def __init__(self):
        self.closed = False
        self.active = 0
        self.peak = 0


def run_stream(n, concurrency, fail=(), stop_after=None):
    client = Client()

    async def call(c, item):
        c.active += 1
        c.peak = max(c.peak, c.active)
        try:
            await asyncio.sleep(0)  # let every worker start before any finishes
            await asyncio.sleep(0)
            if item in fail:
                raise RuntimeError(f"boom {item}")
            return f"r{item}"
        finally:
            c.active -= 1

    async def close(c):
        c.closed = True

    it = stream_concurrently(
        list(range(n)), call, lambda: client, close, concurrency, on_error=lambda e: f"error: {e}"
    )
    out = []
    for pair in it:
        out.append(pair)
        if stop_after is not None and len(out) == stop_after:
            it.close()
            break
    return out, client


def test_stream_yields_every_item_once_with_bounded_concurrency():
    out, client = run_stream(20, 4)
    assert sorted(i for i, _ in out) == list(range(20))
    assert all(r == f"r{i}" for i, r in out)
    assert client.peak == 4 and client.closed


def test_stream_turns_exceptions_into_error_results():
    out, _ = run_stream(5, 2, fail={3})
    assert dict(out)[3] == "error: boom 3" and dict(out)[2] == "r2"


def test_closing_the_stream_early_closes_the_client():
    out, client = run_stream(30, 3, stop_after=4)
    assert len(out) == 4 and client.closed and client.active == 0


def test_concurrency_one_is_sequential():
    _, client = run_stream(6, 1)
    assert client.peak == 1


# --- settings and ids ----------------------------------------------------------------------------


def test_result_ids():
    assert result_id("Qwen/Qwen2.5-VL-72B-Instruct") == "Qwen2.5-VL-72B-Instruct"
    assert result_id("llama3.3:70b") == "llama3.3-70b"
    assert result_id("claude-3-7-sonnet-20250219", strip_date=True) == "claude-3-7-sonnet"
    assert result_id("gpt-4o-2024-08-06") == "gpt-4o-2024-08-06"
    assert check_result_id("qwen72B") == "qwen72B"
    for bad in ("a/b", "x y", "m_ICL", ".hidden", ""):
        with pytest.raises(UserError):
            check_result_id(bad)


def test_settings_refuse_nonsense():
    with pytest.raises(UserError, match="--concurrency"):
        ApiSettings(concurrency=0)
    with pytest.raises(UserError, match="--max-retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(UserError, match="--total-timeout"):
        RetryPolicy(total_timeout_s=0)


@pytest.mark.parametrize("flag", [["--concurrency", "0"], ["--max-retries", "x"], ["--timeout", "0"]])
def test_api_flags_reject_bad_values_in_one_line(flag, capsys):
    import utils

    parser = utils.script_parser("t")
    utils.add_api_args(parser)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(flag)
    assert info.value.code == utils.EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert flag[0] in err and len(err.strip().splitlines()) == 1


def test_api_flags_defaults_and_judge_spelling():
    import utils

    parser = utils.script_parser("t")
    utils.add_api_args(parser, base_url_flags=("--judge-base-url",))
    args = parser.parse_args(["--judge-base-url", "http://h:1"])
    assert (args.concurrency, args.max_retries, args.timeout, args.base_url) == (8, 8, 120.0, "http://h:1")
    assert (args.connect_timeout, args.total_timeout, args.stop_after) == (10.0, 300.0, 3)
