"""MCQA answer extraction: the three extractors, their kept flaws, and the option check."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smmile.prompts import EXTRACTION_FAILED, extract_option, select_option
from smmile.prompts.extract import INVALID_PREFIX
from smmile.types import Mcqa

OPTS = {"C": "Green.", "A": "Red.", "D": "Black.", "B": "Blue."}  # display order, shuffled
MANY = {letter: f"answer {i}" for i, letter in enumerate(string.ascii_uppercase[:19])}  # A..S

LENIENT = [
    ("<think>It is blue.</think>\n<answer>B</answer>", OPTS, "B"),
    ("<answer> c </answer>", OPTS, "C"),
    ("<answer>b</answer>", OPTS, "B"),
    ("<think>Red lesion.</think>\n<answer>A", OPTS, "A"),  # unclosed tag
    ("<answer>(D) Black.</answer>", OPTS, "D"),
    ("<answer>Correct letter.</answer>", OPTS, "C"),  # the first letter inside the tag
    ("<answer>Z</answer>", OPTS, "INVALID_OPTION:Z"),
    ("USER: Which colour? <answer>A</answer> ASSISTANT: <answer>C</answer>", OPTS, "C"),
    ("<answer>A</answer>\nASSISTANT: The answer is B", OPTS, "B"),  # after the last marker only
    ("ASSISTANT: the best fit is *C*\nUSER: The answer is A", OPTS, "C"),  # cut before the user turn
    ("Assistant: The answer is D.", OPTS, "D"),
    ("The answer is B.", OPTS, "B"),
    ("The answer is: **d**", OPTS, "D"),
    ("Answer: c", OPTS, "C"),
    ("**Answer:** D", OPTS, "D"),
    ("After review, the correct answer is A.", OPTS, "A"),
    ("B is the answer.", OPTS, "B"),
    ("I would go with option C here.", OPTS, "C"),
    ("My choice: B", OPTS, "B"),
    ("I select D.", OPTS, "D"),
    ("Hence I chose A.", OPTS, "A"),
    ("So we choose (B).", OPTS, "B"),
    ("Reasoning...\nFinal answer: C", OPTS, "C"),
    ("the lesion looks _B_ to me", OPTS, "B"),
    ("the lesion looks **D** to me", OPTS, "D"),
    ("the one labelled C fits", OPTS, "C"),  # a lone capital letter
    ("Looking at the options, the lesion is red.", OPTS, "INVALID_OPTION:S"),  # flaw: options -> S
    ("Looking at the options, the lesion is red.", MANY, "S"),
    ("This X-ray shows a red lesion.", OPTS, "INVALID_OPTION:X"),  # flaw: the X of X-ray
    ("it looks black.", OPTS, "D"),  # option text contained in the reply
    ("green.", OPTS, "C"),  # option text is the reply
    ("nothing to see here", OPTS, EXTRACTION_FAILED),
    ("", OPTS, EXTRACTION_FAILED),
    ("   \n", OPTS, EXTRACTION_FAILED),
    (None, OPTS, EXTRACTION_FAILED),
]

STRICT = [
    ("<think>x</think>\n<answer>B</answer>", OPTS, "B"),
    ("<answer>\n d \n</answer>", OPTS, "D"),
    ("<answer>B) Blue.</answer>", OPTS, EXTRACTION_FAILED),  # not a single letter
    ("<answer>B", OPTS, EXTRACTION_FAILED),  # unclosed
    ("Answer: C", OPTS, "C"),
    ("The correct answer is A.", OPTS, "A"),
    ("Alternatively:\nThe correct answer is X.", OPTS, "INVALID_OPTION:X"),
    ("<answer>Q</answer>", OPTS, "INVALID_OPTION:Q"),
    ("the one labelled C fits", OPTS, EXTRACTION_FAILED),  # no lone-letter fallback
    ("the lesion looks *B*", OPTS, EXTRACTION_FAILED),  # no emphasis fallback
    ("it looks black.", OPTS, EXTRACTION_FAILED),  # no option-text fallback
    ("Looking at the options, red.", MANY, "S"),  # the phrase patterns keep their flaw
    (None, OPTS, EXTRACTION_FAILED),
]

MEDR1 = [
    ("<think>x</think>\n<answer>D</answer>", OPTS, "D"),
    ("<answer> d) Black.</answer>", OPTS, "D"),
    ("<answer>Black (D)</answer>", OPTS, "B"),  # the first character, whatever it says
    ("<answer>(C)</answer>", OPTS, "C"),  # not a letter: the first standalone A-J
    ("<answer>C", OPTS, "C"),
    ("no tags, but C looks right", OPTS, "C"),
    ("I think C", OPTS, "INVALID_OPTION:I"),  # the first standalone A-J is the pronoun
    ("<answer>Z</answer>", OPTS, "INVALID_OPTION:Z"),
    ("Probably K or Z", OPTS, EXTRACTION_FAILED),  # only A-J stand alone
    ("", OPTS, EXTRACTION_FAILED),
]


@pytest.mark.parametrize(("text", "options", "want"), LENIENT)
def test_lenient(text, options, want):
    assert extract_option(text, options, "lenient") == want


@pytest.mark.parametrize(("text", "options", "want"), STRICT)
def test_strict(text, options, want):
    assert extract_option(text, options, "strict") == want


@pytest.mark.parametrize(("text", "options", "want"), MEDR1)
def test_medr1(text, options, want):
    assert extract_option(text, options, "medr1") == want


def test_select_option():
    mcqa = Mcqa(options=OPTS, correct_option="D")
    assert select_option("<answer>D</answer>", mcqa, "lenient") == ("D", "Black.", True)
    assert select_option("<answer>B</answer>", mcqa, "strict") == ("B", "Blue.", False)
    assert select_option("<answer>Z</answer>", mcqa, "strict") == (INVALID_PREFIX + "Z", None, False)
    assert select_option(None, mcqa, "medr1") == (EXTRACTION_FAILED, None, False)


def test_unknown_extractor():
    with pytest.raises(ValueError, match="extractor"):
        extract_option("<answer>A</answer>", OPTS, "fuzzy")


RESULT = re.compile(r"INVALID_OPTION:[A-Z]")
fragments = st.sampled_from(
    ["<answer>", "</answer>", "ASSISTANT:", "USER:", "answer is", "Answer:", "option", "options",
     "choose", "*", "_", " ", "\n", "A", "b", "X-ray", "Red.", "black", "K", "\u212a", "\u017f", "é"]
)  # fmt: skip
texts = st.one_of(st.none(), st.text(), st.lists(st.one_of(fragments, st.text(max_size=3))).map("".join))
options_st = st.integers(min_value=1, max_value=26).map(
    lambda n: {letter: f"opt {letter}" for letter in string.ascii_uppercase[:n]}
)


@given(texts, options_st, st.sampled_from(["lenient", "strict", "medr1"]))
def test_result_is_always_an_option_failed_or_one_invalid_letter(text, options, extractor):
    got = extract_option(text, options, extractor)
    assert got in options or got == EXTRACTION_FAILED or RESULT.fullmatch(got)
    if got.startswith(INVALID_PREFIX):
        assert got[len(INVALID_PREFIX) :] not in options
