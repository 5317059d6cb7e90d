"""The unified protocol's MCQA extractor: one reading for every model, without the paper's flaws.

In order, on the reply with its `<think>...</think>` reasoning set aside:
1. the last `<answer>...</answer>` (or an unclosed last `<answer>`) whose content starts with a
   standalone letter (`B`, `(b)`, `**C**`, `D. Black`), or is exactly an option's text;
2. the last conclusion phrase naming a standalone capital letter: `answer is X`, `Answer: X`,
   `the answer would be X`,
   `final answer: X`, `X is the correct answer`, `option X`, `choice X`, `I choose X`;
3. a reply that is only a letter (`B`, `b.`, `(C)`) or starts with one as a list item (`B. Black`);
4. the one option whose text is the reply, else the one option whose text occurs in it as words
   (several do, or none: nothing is read).
A letter must stand alone: "options" is not S and "X-ray" is not X; a lone capital in the middle of a
sentence, an emphasised word or the template's own placeholders (`Correct letter.`, `...`) are not read.
Where several conclusions are found, the last naming one of the options wins (a model that revises
itself, or one that repeats the template's `The correct answer is X.` before answering).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.IGNORECASE | re.DOTALL)
_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|\Z)", re.IGNORECASE | re.DOTALL)
_FLAGS = re.ASCII
# a standalone letter, optionally in brackets or emphasis; not part of a word or of "X-ray"
_LETTER = r"[\s*_(\[\"']*([A-Z])(?![A-Za-z0-9-])"
_TAG_LETTER = re.compile(r"^[\s*_(\[\"']*([A-Za-z])(?![A-Za-z0-9-])", _FLAGS)
_CONCLUSIONS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, _FLAGS)
    for pattern in (
        r"(?i:\banswer)\**\s*(?i:is|would\s+be|should\s+be|will\s+be)?\s*\**\s*[:\-]?\s*\**" + _LETTER,
        r"(?<![A-Za-z0-9-])([A-Z])\)?\**\s+(?i:is\s+the\s+(?:correct\s+|best\s+|right\s+)?answer)\b",
        r"(?i:\b(?:option|choice))\s*\**" + _LETTER,
        r"(?i:\b(?:i\s+)?(?:choose|chose|select|pick))\s+(?i:option\s+)?\**" + _LETTER,
    )
)
_ONLY_LETTER = re.compile(r"^\W*([A-Za-z])\W*$", _FLAGS)
_LIST_ITEM = re.compile(r"^\s*\**\(?([A-Z])(?:[.)]|\*\*)\s", _FLAGS)
_WORD_EDGE = r"(?<![A-Za-z0-9]){}(?![A-Za-z0-9])"


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _pick(letters: list[str], options: dict[str, str]) -> str | None:
    """The last letter that is an option; else the last one found (an invalid option), else None."""
    valid = [x for x in letters if x in options]
    return valid[-1] if valid else (letters[-1] if letters else None)


def _by_text(text: str, options: dict[str, str]) -> str | None:
    reply = _normal(text)
    texts = {letter: _normal(answer) for letter, answer in options.items()}
    exact = [letter for letter, t in texts.items() if t and t == reply]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None  # options equal up to case and punctuation: no way to tell them apart
    found = [letter for letter, t in texts.items() if t and re.search(_WORD_EDGE.format(re.escape(t)), reply)]
    # an option contained in a longer option that also occurs (Right / Hydropneumothorax, right)
    found = [x for x in found if not any(x != y and texts[x] in texts[y] for y in found)]
    return found[0] if len(found) == 1 else None


def robust_letter(text: str, options: dict[str, str]) -> str | None:
    """The letter the unified protocol reads in `text`, or None."""
    tags = [m.group(1) for m in _ANSWER.finditer(text)]
    letters = [m.group(1).upper() for t in tags if (m := _TAG_LETTER.match(t))]
    picked = _pick(letters, options)
    if picked:
        return picked
    for content in reversed(tags):
        by_text = _by_text(content, options) if content.strip() else None
        if by_text:
            return by_text
    outside = _THINK.sub(" ", text)
    body = outside if outside.strip() else text
    found = sorted((m.start(1), m.group(1)) for pattern in _CONCLUSIONS for m in pattern.finditer(body))
    picked = _pick([letter for _, letter in found], options)
    if picked:
        return picked
    for pattern in (_ONLY_LETTER, _LIST_ITEM):
        m = pattern.match(body.strip())
        if m:
            return m.group(1).upper()
    return _by_text(body, options)


@dataclass(frozen=True)
class RobustExtractor:
    """The unified protocol's extractor, usable wherever a paper `Extractor` is."""

    name: str = "robust"

    def letter(self, text: str, options: dict[str, str]) -> str | None:
        return robust_letter(text, options)


ROBUST = RobustExtractor()
