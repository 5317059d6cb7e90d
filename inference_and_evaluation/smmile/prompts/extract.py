"""Reading the chosen option out of an MCQA reply (PROTOCOL.md: MCQA answer extraction).

Three extractors, as the paper's scripts had them:

- lenient: keep the text after the last assistant marker (and before a user marker that follows);
  the first letter inside <answer>...</answer> (or an unclosed <answer>); else a phrase such as
  "answer is X", "Answer: X", "option X" (case-insensitive); else an emphasised letter (*X*, _X_);
  else a lone capital letter; else the option whose text appears in the reply. Its known flaws
  are kept on purpose: "options" reads as S, and the X of "X-ray" is a lone capital.
- strict: a single letter inside <answer>X</answer>, else the phrase patterns.
- medr1: the first character inside <answer>, else the first standalone letter A-J.

A letter that is not one of the options is returned as INVALID_OPTION:<letter> (counted wrong).
"""

from __future__ import annotations

import re

from ..types import Mcqa

EXTRACTION_FAILED = "EXTRACTION_FAILED"
INVALID_PREFIX = "INVALID_OPTION:"
EXTRACTORS: tuple[str, ...] = ("lenient", "strict", "medr1")

_ASSISTANT = re.compile(r"(?:ASSISTANT|Assistant|assistant):")
_USER = re.compile(r"(?:USER|User|user):")
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE | re.ASCII)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE | re.ASCII)
_STRICT_ANSWER = re.compile(r"<answer>\s*([A-Za-z])\s*</answer>", re.IGNORECASE | re.ASCII)

# A letter after a phrase: optional spaces, colon, brackets, emphasis or quotes, then one letter.
# (ASCII matching: under IGNORECASE, Unicode would let [a-z] match the Kelvin sign and the long s.)
_LETTER = r"[\s:(\[*\"']*([A-Za-z])\b"
_PHRASES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE | re.ASCII)
    for pattern in (
        r"final\s+answer\s*(?:is)?\s*:?" + _LETTER,
        r"correct\s+answer\s+is\s*:?" + _LETTER,
        r"\*\*answer:\*\*" + _LETTER,
        r"answer\s+is\s*:?" + _LETTER,
        r"answer\s*:" + _LETTER,
        r"\b([A-Za-z])\s+is\s+the\s+(?:correct\s+)?answer\b",
        r"option" + _LETTER,
        r"choice" + _LETTER,
        r"select" + _LETTER,
        r"cho{1,2}se" + _LETTER,
    )
)
_EMPHASIS = re.compile(r"(?<![A-Za-z0-9*_])(?:\*{1,2}|_{1,2})([A-Z])(?:\*{1,2}|_{1,2})(?![A-Za-z0-9])")
_LONE_CAPITAL = re.compile(r"\b([A-Z])\b")
_STANDALONE_A_TO_J = re.compile(r"\b([A-J])\b")


def _after_assistant(text: str) -> str:
    """The text after the last assistant marker, up to a user marker that follows it."""
    markers = list(_ASSISTANT.finditer(text))
    if not markers:
        return text
    text = text[markers[-1].end() :]
    user = _USER.search(text)
    return text[: user.start()] if user else text


def _answer_content(text: str) -> str | None:
    """What follows the first <answer>, up to </answer> or the end (an unclosed tag)."""
    opened = _ANSWER_OPEN.search(text)
    if opened is None:
        return None
    rest = text[opened.end() :]
    closed = _ANSWER_CLOSE.search(rest)
    return rest[: closed.start()] if closed else rest


def _phrase_letter(text: str) -> str | None:
    for pattern in _PHRASES:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None


def _option_by_text(text: str, options: dict[str, str]) -> str | None:
    """The option whose text is the reply (case-insensitive), else the longest one it contains."""
    reply = text.strip().lower()
    texts = {letter: answer.strip().lower() for letter, answer in options.items()}
    for letter in sorted(texts):
        if texts[letter] and texts[letter] == reply:
            return letter
    contained = [letter for letter in sorted(texts) if texts[letter] and texts[letter] in reply]
    return max(contained, key=lambda letter: len(texts[letter])) if contained else None


def _lenient(text: str, options: dict[str, str]) -> str | None:
    text = _after_assistant(text)
    content = _answer_content(text)
    if content is not None:
        first = next((c for c in content if c.isascii() and c.isalpha()), None)
        if first:
            return first
    for finder in (_phrase_letter, _EMPHASIS.search, _LONE_CAPITAL.search):
        found = finder(text)
        if found:
            return found if isinstance(found, str) else found.group(1)
    return _option_by_text(text, options)


def _strict(text: str) -> str | None:
    found = _STRICT_ANSWER.search(text)
    return found.group(1) if found else _phrase_letter(text)


def _medr1(text: str) -> str | None:
    content = (_answer_content(text) or "").strip()
    if content and content[0].isascii() and content[0].isalpha():
        return content[0]
    found = _STANDALONE_A_TO_J.search(text)
    return found.group(1) if found else None


def extract_option(text: str | None, options: dict[str, str], extractor: str) -> str:
    """The letter `extractor` reads in `text`: an option letter, EXTRACTION_FAILED or INVALID_OPTION:<x>."""
    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown extractor {extractor!r}; expected one of {', '.join(EXTRACTORS)}")
    if text is None or not text.strip():
        return EXTRACTION_FAILED
    if extractor == "lenient":
        letter = _lenient(text, options)
    elif extractor == "strict":
        letter = _strict(text)
    else:
        letter = _medr1(text)
    if letter is None:
        return EXTRACTION_FAILED
    letter = letter.upper()
    return letter if letter in options else INVALID_PREFIX + letter


def select_option(text: str | None, mcqa: Mcqa, extractor: str) -> tuple[str, str | None, bool]:
    """(selected option, its text or None, whether it is the correct option) for a reply."""
    selected = extract_option(text, mcqa.options, extractor)
    return selected, mcqa.options.get(selected), selected == mcqa.correct_option
