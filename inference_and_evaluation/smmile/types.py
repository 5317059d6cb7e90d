"""Typed records that flow through the harness: problems in, prompts, responses, result records out."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Mode = Literal["0-shot", "ICL"]
TaskFormat = Literal["open", "mcqa"]
Role = Literal["system", "user", "assistant"]
Status = Literal["ok", "error"]

MODES: tuple[str, ...] = ("0-shot", "ICL")
TASK_FORMATS: tuple[str, ...] = ("open", "mcqa")
_PERMUTATION = re.compile(r"_perm_\d+$")


def base_problem_id(problem_id: str) -> str:
    """The SMMILE problem a SMMILE++ permutation (`<uuid>_perm_<k>`) was made from; else the id itself."""
    return _PERMUTATION.sub("", problem_id)


@dataclass(frozen=True)
class ImageRef:
    """An image referenced by content hash; the bytes are read (and decoded) only when asked for."""

    sha256: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageRef:
        return cls(sha256=hashlib.sha256(data).hexdigest(), data=data)

    @classmethod
    def from_path(cls, path: str | Path) -> ImageRef:
        path = Path(path)
        return cls(sha256=hashlib.sha256(path.read_bytes()).hexdigest(), path=path)

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"image {self.sha256[:12]} has neither bytes nor a path")
        return self.path.read_bytes()

    def open(self):
        """The decoded image as an RGB PIL image, EXIF orientation applied (image_decode.decode_rgb)."""
        from smmile.image_decode import decode_rgb

        return decode_rgb(self.read_bytes())


@dataclass(frozen=True)
class Triplet:
    """One image-question-answer row of the dataset."""

    problem_id: str
    order: int
    question: str
    answer: str
    image: ImageRef | None
    image_url: str | None = None


@dataclass(frozen=True)
class Problem:
    """The rows of one problem_id sorted by `order`: in-context examples, then the query."""

    problem_id: str
    examples: tuple[Triplet, ...]
    query: Triplet
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)  # speciality + flag_* columns
    dataset: str = ""

    @property
    def triplets(self) -> tuple[Triplet, ...]:
        return (*self.examples, self.query)


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Image:
    image: ImageRef


Part = Text | Image


@dataclass(frozen=True)
class Message:
    role: Role
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        """The message's text parts joined (no separator): what a text-only renderer sends."""
        return "".join(p.text for p in self.parts if isinstance(p, Text))


@dataclass(frozen=True)
class Mcqa:
    """The options of a multiple-choice prompt, in display order, and the correct letter."""

    options: dict[str, str]  # letter -> answer text, in display order
    correct_option: str


@dataclass(frozen=True)
class Prompt:
    """A provider-neutral conversation; backends render it into their own message format."""

    problem_id: str
    messages: tuple[Message, ...]
    profile: str
    task_format: TaskFormat
    mcqa: Mcqa | None = None
    icl_answers: tuple[str, ...] = ()  # the answers shown in context (used by the baselines)
    seed: int = 42

    @property
    def images(self) -> list[ImageRef]:
        return [p.image for m in self.messages for p in m.parts if isinstance(p, Image)]


@dataclass
class Response:
    """What a backend returns for one prompt. An error is data: status 'error' and a message."""

    text: str | None
    status: Status = "ok"
    error: str | None = None
    latency_s: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)
    error_kind: str | None = None  # API requests: why it failed (models/retry.py); not recorded

    @classmethod
    def failure(cls, error: str, latency_s: float = 0.0, error_kind: str | None = None) -> Response:
        return cls(text=None, status="error", error=error, latency_s=latency_s, error_kind=error_kind)


@dataclass
class ResultRecord:
    """One problem's result: a line of a result JSONL file, or a row of a published CSV.

    The field names follow the authors' CSV columns where they exist. Fields that a source does
    not carry are None. The schema is written down here and nowhere else.
    """

    problem_id: str
    final_question: str | None = None  # the query question as written in the dataset
    true_answer: str | None = None
    generated_answer: str | None = None  # open: the answer text; MCQA: the selected option's text
    full_response: str | None = None
    # MCQA
    options: dict[str, str] | None = None  # letter -> text, in display order
    correct_option: str | None = None
    selected_option: str | None = None  # a letter, EXTRACTION_FAILED or INVALID_OPTION:<x>
    is_correct: bool | None = None
    # the run
    model: str | None = None
    inference_mode: str | None = None
    task_format: str | None = None
    dataset: str | None = None
    protocol: str | None = None
    profile: str | None = None
    seed: int | None = None
    ablation: dict[str, Any] | None = None
    identity: dict[str, str] | None = None  # the run identity's stamp (smmile.results.identity)
    examples_seen: list[int | str] | None = (
        None  # `order` of each example shown (`<id>#<order>` if from another problem)
    )
    metadata: dict[str, Any] = field(default_factory=dict)  # speciality, flag_*, flag_num_ICL, ...
    status: Status = "ok"
    error: str | None = None
    latency_s: float | None = None
    usage: dict[str, Any] | None = None
    finished_at: str | None = None
    # characters that valid UTF-8 cannot store (lone surrogates) replaced by U+FFFD when written
    invalid_characters_replaced: int | None = None
