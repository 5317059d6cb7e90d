"""Reading the chosen option out of an MCQA reply (PROTOCOL.md: MCQA answer extraction).

An `Extractor` is data: where in the reply to look (markers), an ordered list of rules (the first one
that finds something wins), and whether the option-text fallback may run. The paper's extractors
reproduce the letters the authors' scripts selected, flaws included ("options" reads as S, the X of
"X-ray" is a lone capital, an `<answer>` holding no letter gives its first character); the robust
extractor of the unified protocol (`extract_robust`) has none of them.

A letter that is not one of the options is returned as INVALID_OPTION:<letter> (counted wrong);
nothing found is EXTRACTION_FAILED.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smmile.prompts.extract_robust import ROBUST, RobustExtractor
from smmile.types import Mcqa

EXTRACTION_FAILED = "EXTRACTION_FAILED"
INVALID_PREFIX = "INVALID_OPTION:"
OPTION_TEXT_FALLBACKS: tuple[str, ...] = ("never", "after_marker", "always")

# X followed by ".", ". word", whitespace or the end (the authors' `(?:\.\s*\w+|\.|\s+|$)`)
_END = r"(?:\.\s*\w+|\.|\s+|$)"
# The phrase rules both paper extractors share, in the authors' order.
_ANSWER_PHRASES: tuple[str, ...] = (
    r"\*\*Answer:\*\*\s*([A-Za-z])" + _END,
    r"\*\*Answer\*\*:\s*([A-Za-z])" + _END,
    r"\*Answer\*:\s*([A-Za-z])" + _END,
    r"Answer:\s*([A-Za-z])" + _END,
    r"The correct answer is\s*([A-Za-z])" + _END,
    r"The answer(?:\s+is)?:?\s*([A-Za-z])" + _END,
    r"The correct answer(?:\s+is)?:?\s*([A-Za-z])" + _END,
    r"answer\s*is\s*([A-Za-z])" + _END,
    r"([A-Za-z])\s*is the (?:correct )?answer",
    r"option\s*([A-Za-z])\b",
    r"choice\s*([A-Za-z])\b",
    r"select\s*([A-Za-z])\b",
)
_LENIENT_PHRASES: tuple[str, ...] = (
    (r"answer is:?\s*([A-Z])[.\s]", r"\banswer:?\s*([A-Z])[.\s]")
    + _ANSWER_PHRASES
    + (
        r"best answer is:?\s*([A-Z])[.\s]",
        r"choice\s*([A-Z])[.\s]",
        r"option\s*([A-Z])[.\s]",
        r"select\s*([A-Z])[.\s]",
        r"chose\s*([A-Z])[.\s]",
        r"choose\s*([A-Z])[.\s]",
        r"final answer:?\s*([A-Z])",
    )
)


@dataclass(frozen=True)
class Rule:
    """Group 1 of the first match of `pattern` (case-insensitive unless `ignore_case` is False)."""

    pattern: str
    ignore_case: bool = True

    def find(self, text: str) -> str | None:
        found = re.search(self.pattern, text, re.IGNORECASE if self.ignore_case else 0)
        return found.group(1) if found else None


@dataclass(frozen=True)
class AnswerTag:
    """The first `<answer>...</answer>` (or an `<answer>` open up to a blank line or the end).

    "letter": its first letter A-Z after upper-casing, else its first character (how "." was read).
    "first_char": its first character when that is a letter (MedVLM-R1).
    """

    read: str = "letter"

    def find(self, text: str) -> str | None:
        if self.read == "letter":
            found = re.search(r"<answer>(.*?)</answer>|<answer>(.*?)($|\n\n)", text, re.DOTALL)
            content = (
                (found.group(1) if found.group(1) is not None else found.group(2)).strip() if found else ""
            )
            if not content:
                return None
            letter = re.search(r"[A-Z]", content.upper())
            return letter.group(0) if letter else content[0]
        found = re.search(r"<answer>(.*?)(?:</answer>|$)", text, re.IGNORECASE | re.DOTALL)
        content = found.group(1).strip() if found else ""
        return content[0] if content and content[0].isascii() and content[0].isalpha() else None


@dataclass(frozen=True)
class Extractor:
    """How one profile reads the selected letter out of a reply.

    assistant_markers: keep what follows the last of these (the one found latest in the text);
    user_markers: then cut at the first of these that occurs (tried in this order).
    rules: tried in order on that text; the first that finds something gives the letter.
    option_text: when the option-text fallback runs: "never", "after_marker" (only when an assistant
    marker was found) or "always"; it picks the first option, in display order, whose stripped text
    equals or occurs in the text (case-insensitive).
    """

    name: str
    rules: tuple[Rule | AnswerTag, ...]
    assistant_markers: tuple[str, ...] = ()
    user_markers: tuple[str, ...] = ()
    option_text: str = "never"

    def __post_init__(self) -> None:
        if self.option_text not in OPTION_TEXT_FALLBACKS:
            raise ValueError(
                f"extractor {self.name!r}: option_text={self.option_text!r} is not one of {OPTION_TEXT_FALLBACKS}"
            )

    def scope(self, text: str) -> tuple[str, bool]:
        """The part of `text` this extractor reads, and whether an assistant marker was found."""
        found = max(
            ((text.rfind(m), m) for m in self.assistant_markers), default=(-1, ""), key=lambda f: f[0]
        )
        if found[0] == -1:
            return text, False
        text = text[found[0] + len(found[1]) :].strip()
        for marker in self.user_markers:
            if marker in text:
                return text[: text.index(marker)].strip(), True
        return text, True

    def letter(self, text: str, options: dict[str, str]) -> str | None:
        text, marked = self.scope(text)
        for rule in self.rules:
            found = rule.find(text if isinstance(rule, AnswerTag) else text.strip())
            if found:
                return found
        if self.option_text == "always" or (self.option_text == "after_marker" and marked):
            return option_by_text(text.strip(), options)
        return None


def option_by_text(text: str, options: dict[str, str]) -> str | None:
    """The first option, in display order, whose stripped text equals or occurs in `text` (any case)."""
    if not text:
        return None
    reply = text.lower()
    for letter, answer in options.items():
        answer = answer.strip().lower()
        if answer and (answer == reply or answer in reply):
            return letter
    return None


_CONVERSATION_MARKERS = {
    "assistant_markers": ("ASSISTANT:", "Assistant:", "assistant:", "ASSISTANT ", "Assistant ", "assistant "),
    "user_markers": ("USER:", "User:", "user:", "USER ", "User ", "user "),
}
_LENIENT_RULES: tuple[Rule | AnswerTag, ...] = (
    AnswerTag("letter"),
    *(Rule(p) for p in _LENIENT_PHRASES),
    Rule(r"[*_]([A-Z])[*_]"),  # an emphasised letter
    Rule(r"\b([A-Z])\b", ignore_case=False),  # a lone capital: the X of "X-ray" is one
)

# The paper's extractors, named by what their scripts did (PROTOCOL.md).
LENIENT = Extractor("lenient", _LENIENT_RULES, **_CONVERSATION_MARKERS, option_text="after_marker")
LENIENT_ECHO = Extractor("lenient_echo", _LENIENT_RULES, **_CONVERSATION_MARKERS, option_text="always")
LENIENT_API = Extractor("lenient_api", _LENIENT_RULES, option_text="always")
STRICT = Extractor(
    "strict",
    (Rule(r"<answer>([A-Za-z])</answer>"), *(Rule(p) for p in _ANSWER_PHRASES)),
    assistant_markers=("assistant",),
)
MEDR1 = Extractor("medr1", (AnswerTag("first_char"), Rule(r"\b([A-J])\b", ignore_case=False)))


EXTRACTORS: dict[str, Extractor | RobustExtractor] = {
    e.name: e for e in (LENIENT, LENIENT_ECHO, LENIENT_API, STRICT, MEDR1, ROBUST)
}


def extract_option(
    text: str | None, options: dict[str, str], extractor: Extractor | RobustExtractor | str
) -> str:
    """The letter `extractor` reads in `text`: an option letter, EXTRACTION_FAILED or INVALID_OPTION:<x>."""
    if isinstance(extractor, str):
        if extractor not in EXTRACTORS:
            raise ValueError(f"unknown extractor {extractor!r}; expected one of {', '.join(EXTRACTORS)}")
        extractor = EXTRACTORS[extractor]
    if text is None or not text.strip():
        return EXTRACTION_FAILED
    letter = extractor.letter(text, options)
    if letter is None:
        return EXTRACTION_FAILED
    letter = letter.upper()
    return letter if letter in options else INVALID_PREFIX + letter


def select_option(
    text: str | None, mcqa: Mcqa, extractor: Extractor | RobustExtractor | str
) -> tuple[str, str | None, bool]:
    """(selected option, its text or None, whether it is the correct option) for a reply."""
    selected = extract_option(text, mcqa.options, extractor)
    return selected, mcqa.options.get(selected), selected == mcqa.correct_option
