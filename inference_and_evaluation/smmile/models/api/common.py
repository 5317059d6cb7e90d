"""What the API backends share: concurrent requests, image encoding, secrets kept out of records.

`ApiBackend.stream` runs up to `concurrency` requests at once through a provider SDK's async
client and yields each response as soon as it is known (the runner appends its record at once,
so a killed run loses only the requests in flight). Every request follows the one RetryPolicy
(retry.py); a run stops after requests in a row are refused (authentication, not found, no reply).

Images are encoded once per run per (content hash, size cap) as PNG, the format the paper sent.
An image beyond a provider's limits is resized deterministically (Lanczos, aspect kept) and the
resize is recorded in `describe()`, which the run manifest holds.
"""

from __future__ import annotations

import base64
import io
import math
import re
import time
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smmile.errors import UserError
from smmile.image_decode import oriented
from smmile.models.api.concurrency import stream_concurrently
from smmile.models.api.retry import FailureStreak, RetryPolicy
from smmile.models.base import Backend, LoadedModel
from smmile.redaction import REDACTED, public_url, redact  # noqa: F401 (the backends import them here)
from smmile.types import Image, ImageRef, Prompt, Response

MAX_ERROR_CHARS = 600
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SHRINK_STEPS = 12


# --- secrets ---------------------------------------------------------------------------------------


def error_text(exc: BaseException, secrets: Sequence[str]) -> str:
    """One line for an error record: the exception's type and message, secrets removed, cut short."""
    message = " ".join(str(exc).split()) or repr(exc)
    text = redact(f"{type(exc).__name__}: {message}", secrets)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


# --- images ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageLimits:
    """A provider's limits on one image of a request.

    max_b64_chars: length of the base64 text; max_side: longest side in pixels; when a request
    holds more than `many_images` images the longest side is capped at `many_max_side`;
    max_images: images per request (more is refused: images are never dropped).
    """

    max_b64_chars: int | None = None
    max_side: int | None = None
    many_images: int | None = None
    many_max_side: int | None = None
    max_images: int | None = None

    def side_cap(self, n_images: int) -> int | None:
        caps = [self.max_side]
        if self.many_images is not None and n_images > self.many_images:
            caps.append(self.many_max_side)
        known = [c for c in caps if c]
        return min(known) if known else None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


NO_LIMITS = ImageLimits()


@dataclass(frozen=True)
class EncodedImage:
    b64: str
    media_type: str = "image/png"

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.b64}"


def _b64_len(n_bytes: int) -> int:
    return 4 * math.ceil(n_bytes / 3)


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))


@dataclass
class ImageEncoder:
    """Encodes each distinct image once (per size cap) as base64 PNG, within `limits`.

    An RGB or RGBA PNG within the limits is sent as its own bytes; anything else is decoded
    (other modes become RGB, as the paper's scripts did) and saved as PNG. `resized` records each
    image that had to shrink: sha256 -> {from, to, reason}.
    """

    limits: ImageLimits = NO_LIMITS
    encoded: int = 0
    resized: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[tuple[str, int | None], EncodedImage] = field(default_factory=dict, repr=False)

    def encode(self, ref: ImageRef, n_images: int = 1) -> EncodedImage:
        cap = self.limits.side_cap(n_images)
        key = (ref.sha256, cap)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._encode(ref, cap, n_images)
            self.encoded += 1
        return hit

    def _encode(self, ref: ImageRef, cap: int | None, n_images: int) -> EncodedImage:
        from PIL import Image as PILImage

        raw = ref.read_bytes()
        with PILImage.open(io.BytesIO(raw)) as stored:
            opened = oriented(stored)  # EXIF orientation applied, as for every image source
            mode, size = opened.mode, opened.size
            reasons: list[str] = []
            target = size
            if cap is not None and max(size) > cap:
                target = _scaled(size, cap / max(size))
                many = self.limits.many_images is not None and n_images > self.limits.many_images
                extra = f" ({n_images} images in the request)" if many else ""
                reasons.append(f"longest side over {cap} px{extra}")
            img = None
            as_stored = opened is stored and raw.startswith(PNG_SIGNATURE)
            if target == size and as_stored and mode in ("RGB", "RGBA"):
                data = raw  # already what the provider takes: no decoding, no re-encoding
            else:
                img = opened.copy() if mode in ("RGB", "RGBA") else opened.convert("RGB")
                data = _png(img if target == size else img.resize(target, PILImage.Resampling.LANCZOS))
            limit = self.limits.max_b64_chars
            if limit is not None and _b64_len(len(data)) > limit:
                reasons.append(f"base64 size over {limit} characters")
                if img is None:
                    img = opened.copy()
                data, target = self._shrink_to(img, target, limit, ref)
        if reasons:
            self.resized[ref.sha256] = {"from": list(size), "to": list(target), "reason": "; ".join(reasons)}
        return EncodedImage(base64.b64encode(data).decode("ascii"))

    @staticmethod
    def _shrink_to(img, size: tuple[int, int], limit: int, ref: ImageRef) -> tuple[bytes, tuple[int, int]]:
        """Scale down from the decoded image until the base64 PNG fits (same steps every run)."""
        from PIL import Image as PILImage

        current, data = size, b""
        for _ in range(_SHRINK_STEPS):
            data = _png(img.resize(current, PILImage.Resampling.LANCZOS))
            n = _b64_len(len(data))
            if n <= limit:
                return data, current
            current = _scaled(current, min(0.9, math.sqrt(limit / n) * 0.95))
        raise ValueError(f"image {ref.sha256[:12]} does not fit in {limit} base64 characters")

    def describe(self) -> dict[str, Any]:
        """A live view: the manifest written at the end of the run sees every resize."""
        return {"limits": self.limits.describe(), "resized": self.resized}


def prompt_images(prompt: Prompt) -> int:
    return sum(1 for m in prompt.messages for p in m.parts if isinstance(p, Image))


# --- the backend -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiSettings:
    """Request settings every API backend takes (from the command line)."""

    concurrency: int = 8
    temperature: float | None = 0.0  # None: not sent (the server's default)
    max_tokens: int | None = 512  # None: not sent
    retry: RetryPolicy = field(default_factory=RetryPolicy)  # retries, timeouts, the stop rule

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UserError("--concurrency must be at least 1")


class ApiBackend(Backend):
    """A model behind an HTTP API. Subclasses open the SDK's async client and make one request.

    Every request goes through the settings' RetryPolicy. `sdk_retries`: the SDK retries HTTP
    faults itself (given the attempts left through `with_retries`); else the policy does it all.
    """

    provider = "api"
    limits: ImageLimits = NO_LIMITS
    sdk_retries = True

    def __init__(self, model: str, settings: ApiSettings | None = None, secrets: Sequence[str] = ()):
        self.model = model
        self.settings = settings or ApiSettings()
        self.secrets = tuple(s for s in secrets if s)
        self.images = ImageEncoder(self.limits)
        self.batch_size = self.settings.concurrency

    @property
    def policy(self) -> RetryPolicy:
        return self.settings.retry

    @abstractmethod
    def open_client(self) -> Any:
        """The SDK's async client (opened inside the event loop that uses it), with the policy's
        timeouts, `max_retries` and EVENT_HOOKS."""

    @abstractmethod
    def server(self) -> str:
        """The server's address as messages name it (no credentials)."""

    def with_retries(self, client: Any, max_retries: int) -> Any:
        """`client` allowed `max_retries` SDK retries (the Stainless SDKs' `with_options`)."""
        return (
            client if max_retries == self.policy.max_retries else client.with_options(max_retries=max_retries)
        )

    async def close_client(self, client: Any) -> None:
        await client.close()

    @abstractmethod
    async def request(self, client: Any, prompt: Prompt) -> Response:
        """Send one prompt; SDK errors propagate (the policy retries or records them), a body
        that does not parse raises MalformedReply (`retry.parsed` around the SDK call)."""

    def check_images(self, prompt: Prompt) -> int:
        n = prompt_images(prompt)
        if self.limits.max_images is not None and n > self.limits.max_images:
            raise ValueError(
                f"problem {prompt.problem_id}: {n} images, more than the {self.limits.max_images} "
                f"{self.provider} takes in one request"
            )
        return n

    async def _timed(self, client: Any, prompt: Prompt) -> Response:
        start = time.perf_counter()
        outcome = await self.policy.call(
            lambda retries: self.request(self.with_retries(client, retries), prompt), self.sdk_retries
        )
        latency = time.perf_counter() - start
        if outcome.error is not None:
            text = error_text(outcome.error, self.secrets)
            if outcome.note:
                text = redact(f"{text} ({outcome.note})", self.secrets)
            kind = outcome.failure.kind if outcome.failure else None
            response = Response.failure(text, latency, error_kind=kind)
        else:
            response = outcome.value if outcome.value is not None else Response.failure("no response")
            response.latency_s = latency
            if response.error:
                response.error = redact(response.error, self.secrets)
        if outcome.attempts > 1:
            response.usage = {**(response.usage or {}), "retries": outcome.attempts - 1}
        return response

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Response]]:
        """Responses as they finish. After `stop_after` requests in a row failed for
        authentication, not found or no reply, no request is started and, once their responses
        are handed over, ServiceRefused is raised."""
        streak = FailureStreak(self.policy.stop_after, self.server())

        async def call(client: Any, prompt: Prompt) -> Response:
            response = await self._timed(client, prompt)
            streak.see(response.error_kind, response.error)
            return response

        responses = stream_concurrently(
            prompts,
            call,
            self.open_client,
            self.close_client,
            self.settings.concurrency,
            on_error=lambda exc: Response.failure(error_text(exc, self.secrets)),
            stop=lambda: streak.refusal is not None,
        )
        for handed, (index, response) in enumerate(responses, 1):
            yield index, response
            if streak.refusal is not None and handed >= streak.tripped_at:
                raise streak.refusal
        if streak.refusal is not None:
            raise streak.refusal

    def generate(self, prompts: Sequence[Prompt]) -> list[Response]:
        out: list[Response | None] = [None] * len(prompts)
        for index, response in self.stream(prompts):
            out[index] = response
        return [r if r is not None else Response.failure("no response") for r in out]

    def request_settings(self) -> dict[str, Any]:
        s = self.settings
        return {"temperature": s.temperature, "max_tokens": s.max_tokens}

    def loaded(self) -> LoadedModel:
        return LoadedModel(source=f"{self.provider} {self.model}")

    def generation(self) -> dict[str, Any]:
        return self.request_settings()

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "backend": self.provider,
            "api_model": self.model,
            "concurrency": s.concurrency,
            "retry": s.retry.describe(),
            "request": self.request_settings(),  # nested: the manifest's secret filter spares it
            "images": self.images.describe(),
        }


def sampling(settings: ApiSettings) -> Mapping[str, Any]:
    """The sampling settings to send: those that are set."""
    out: dict[str, Any] = {}
    if settings.temperature is not None:
        out["temperature"] = settings.temperature
    if settings.max_tokens is not None:
        out["max_tokens"] = settings.max_tokens
    return out


# --- result ids ------------------------------------------------------------------------------------

_ID_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")
_DATE_SUFFIX = re.compile(r"-\d{8}$")


def result_id(api_model: str, strip_date: bool = False) -> str:
    """A result id from an API model name: its last path segment, characters a file name takes.

    `Qwen/Qwen2.5-VL-72B-Instruct` -> `Qwen2.5-VL-72B-Instruct`, `llama3.3:70b` -> `llama3.3-70b`;
    with `strip_date`, `claude-3-7-sonnet-20250219` -> `claude-3-7-sonnet`.
    """
    name = api_model.rstrip("/").rsplit("/", 1)[-1]
    name = _ID_CHARS.sub("-", name).strip("-.")
    if strip_date:
        name = _DATE_SUFFIX.sub("", name)
    if not name:
        raise UserError(f"--model {api_model!r}: cannot make a result id of it; give --name")
    return name


def check_result_id(name: str) -> str:
    """A `--name` must be usable in result file names."""
    if not name or _ID_CHARS.search(name) or name.startswith(".") or "_ICL" in name or "_0-shot" in name:
        raise UserError(
            f"--name {name!r}: use letters, digits and . _ + - only (it becomes part of file names)"
        )
    return name
