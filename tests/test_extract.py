"""MCQA answer extraction: the paper extractors, their kept flaws, and the option check."""

from __future__ import annotations

import json
import re
import string

import pytest
from helpers import MCQA_REPLIES
from hypothesis import given
from hypothesis import strategies as st

from smmile.prompts import (
    EXTRACTION_FAILED,
    PAPER_PROFILES,
    Profile,
    extract_option,
    get_profile,
    select_option,
)
from smmile.prompts import extract as ex
from smmile.prompts.extract import INVALID_PREFIX, Extractor, Rule
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
    ("it looks black.", OPTS, EXTRACTION_FAILED),  # no assistant marker: no option-text fallback
    ("Assistant: it looks black.", OPTS, "D"),  # option text contained in the text after the marker
    ("assistant green.", OPTS, "C"),  # option text is the text; "assistant " is a marker too
    ("<answer>...</answer>", OPTS, "INVALID_OPTION:."),  # no letter inside: its first character
    ("<answer>   </answer> The answer is B.", OPTS, "B"),  # an empty tag reads nothing
    ("<answer>The best is\n\nB", OPTS, "INVALID_OPTION:T"),  # an open tag ends at a blank line
    ("nothing to see here", OPTS, EXTRACTION_FAILED),
    ("", OPTS, EXTRACTION_FAILED),
    ("   \n", OPTS, EXTRACTION_FAILED),
    (None, OPTS, EXTRACTION_FAILED),
]

STRICT = [
    ("<think>x</think>\n<answer>B</answer>", OPTS, "B"),
    ("<answer>\n d \n</answer>", OPTS, EXTRACTION_FAILED),  # the letter alone fills the tag
    ("<answer>d</answer>", OPTS, "D"),
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
    ("The lesion is benign.\n\n*Answer*: B", OPTS, "B"),  # Llama-3.2-Vision's italic marker
    ("Reasoning.\n\n**Answer**: D", OPTS, "D"),
    ("**Answer:** A. Red.", OPTS, "A"),
    ("<|start_header_id|>assistant\n\n<answer>C</answer>", OPTS, "C"),  # after the bare word
    ("<answer>A</answer> ... assistant: Answer: B", OPTS, "B"),  # only after the last `assistant`
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


RESULT = re.compile(r"INVALID_OPTION:.+", re.DOTALL)
fragments = st.sampled_from(
    ["<answer>", "</answer>", "ASSISTANT:", "USER:", "answer is", "Answer:", "option", "options",
     "choose", "*", "_", " ", "\n", "A", "b", "X-ray", "Red.", "black", "K", "\u212a", "\u017f", "é"]
)  # fmt: skip
texts = st.one_of(st.none(), st.text(), st.lists(st.one_of(fragments, st.text(max_size=3))).map("".join))
options_st = st.integers(min_value=1, max_value=26).map(
    lambda n: {letter: f"opt {letter}" for letter in string.ascii_uppercase[:n]}
)


@given(
    texts,
    options_st,
    st.sampled_from(["lenient", "lenient_echo", "lenient_api", "strict", "medr1", "robust"]),
)
def test_result_is_always_an_option_failed_or_one_invalid_letter(text, options, extractor):
    got = extract_option(text, options, extractor)
    assert got in options or got == EXTRACTION_FAILED or RESULT.fullmatch(got)
    if got.startswith(INVALID_PREFIX):
        assert got[len(INVALID_PREFIX) :] not in options


# -- the option-text fallback and the markers are declared per profile -------------------------


def test_option_text_fallback_runs_as_each_paper_script_ran_it():
    reply = "The lesion is black."
    assert extract_option(reply, OPTS, ex.LENIENT) == EXTRACTION_FAILED  # Qwen, LLaVA-Med: no marker
    assert extract_option("ASSISTANT: " + reply, OPTS, ex.LENIENT) == "D"
    assert extract_option(reply, OPTS, ex.LENIENT_ECHO) == "D"  # LLaVA-1.5: the echo had the marker
    assert extract_option(reply, OPTS, ex.LENIENT_API) == "D"  # GPT-4o, Claude: always
    assert extract_option(reply, OPTS, ex.STRICT) == EXTRACTION_FAILED


def test_option_text_takes_the_first_option_in_display_order():
    options = {"B": "Right", "A": "Hydropneumothorax, right"}
    assert extract_option("hydropneumothorax, right", options, ex.LENIENT_API) == "B"  # "right" occurs
    assert extract_option("hydropneumothorax, right", dict(reversed(options.items())), ex.LENIENT_API) == "A"


def test_user_markers_are_tried_in_their_order_not_by_position():
    # "user " comes first in the text, but "USER:" is tried first: the text is cut at "USER:"
    text = "ASSISTANT: the user asks; I pick *C*. USER: no, *A*"
    assert extract_option(text, OPTS, ex.LENIENT) == "C"
    assert extract_option("ASSISTANT: the user said *B*", OPTS, ex.LENIENT) == "EXTRACTION_FAILED"


def test_paper_profiles_declare_their_extractor():
    by_model = {name: p.extractor.name for name, p in PAPER_PROFILES.items()}
    assert by_model["llama32_vision_90b"] == by_model["medgemma_4b"] == "strict"
    assert by_model["gpt-4o"] == by_model["claude-3-7-sonnet"] == "lenient_api"
    assert by_model["llava_7b"] == by_model["llava_13b"] == "lenient_echo"
    assert by_model["MedVLM-R1"] == "medr1"
    for name in ("qwen7B", "llavanext_7b", "llavaonevision_7b", "llavamed", "llama33textonly"):
        assert by_model[name] == "lenient"
    assert {get_profile(name, "unified").extractor.name for name in PAPER_PROFILES} == {"robust"}


def test_an_extractor_is_data():
    custom = Extractor("custom", (Rule(r"pick\s+([A-Z])"),), option_text="always")
    assert extract_option("I pick c", OPTS, custom) == "C"
    assert extract_option("Blue.", OPTS, custom) == "B"
    with pytest.raises(ValueError, match="option_text"):
        Extractor("bad", (), option_text="sometimes")
    with pytest.raises(ValueError, match="extractor"):
        Profile(name="x", extractor=custom)  # a profile takes one of the declared extractors


# -- the authors' own replies: every published selection reproduced -----------------------------


def _agrees(row: dict) -> bool:
    pub, options = row["published_selected_option"], row["options"]
    got = extract_option(row["reply"], options, get_profile(row["model"], "paper").extractor)
    return got == pub or pub == "ERROR" or (pub not in options and got == INVALID_PREFIX + pub)


def _case_tie(row: dict) -> bool:
    text = row["reply"].strip().lower()
    return sum(v.strip().lower() == text for v in row["options"].values()) > 1


@pytest.mark.skipif(not MCQA_REPLIES.is_file(), reason="the authors' MCQA replies are not beside the project")
def test_paper_extractors_reproduce_every_published_selection():
    rows = [json.loads(line) for line in MCQA_REPLIES.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2442
    disagree = [
        (r["file"], r["problem_id"], r["published_selected_option"])
        for r in rows
        if not _agrees(r) and not _case_tie(r)
    ]
    assert disagree == []
    models = {r["model"] for r in rows}
    assert {"llama32_vision_90b", "llavamed", "gpt-4o", "llava_7b", "medgemma_4b"} <= models


# -- the unified protocol's robust extractor --------------------------------------------------

ROBUST = [
    ("<think>Option A is unlikely.</think>\n<answer>B</answer>", OPTS, "B"),
    ("<answer>(c)</answer>", OPTS, "C"),
    ("<answer>**D**. Black.</answer>", OPTS, "D"),
    ("<answer>Black.</answer>", OPTS, "D"),  # the option's text inside the tag
    ("<answer>Correct letter.</answer>", OPTS, EXTRACTION_FAILED),  # the template's placeholder
    ("<answer>...</answer>", OPTS, EXTRACTION_FAILED),
    ("<answer>A</answer> on second thought <answer>C</answer>", OPTS, "C"),  # the last tag
    ("Looking at the options, the lesion is red.", MANY, "EXTRACTION_FAILED"),  # options is not S
    ("Looking at the options, the lesion is red.", OPTS, "A"),  # Red. is the one option named
    ("This X-ray shows a lesion.", OPTS, EXTRACTION_FAILED),  # the X of X-ray is no letter
    ("I think the answer is B.", OPTS, "B"),
    ("Answer: **c**", OPTS, EXTRACTION_FAILED),  # a lower-case letter after a phrase is a word
    ("**Answer:** C", OPTS, "C"),
    ("The correct answer is X.\nThe correct answer is D.", OPTS, "D"),  # echoed template, then D
    ("So the correct answer would be A.", OPTS, "A"),
    ("I choose B because it fits.", OPTS, "B"),
    ("Option C: green is wrong. The final answer: A", OPTS, "A"),  # the last conclusion
    ("D is the correct answer.", OPTS, "D"),
    ("B", OPTS, "B"),
    ("(c).", OPTS, "C"),
    ("A. Red.", OPTS, "A"),
    ("The answer is E.", OPTS, "INVALID_OPTION:E"),
    ("green", OPTS, "C"),
    ("It is red, or perhaps blue.", OPTS, EXTRACTION_FAILED),  # two options named: no guess
    ("A tall person walks by.", OPTS, EXTRACTION_FAILED),  # a lone capital in a sentence is not read
    ("", OPTS, EXTRACTION_FAILED),
]


@pytest.mark.parametrize(("text", "options", "want"), ROBUST)
def test_robust(text, options, want):
    assert extract_option(text, options, "robust") == want


def test_robust_prefers_the_longer_option_that_contains_a_shorter_one():
    options = {"A": "Right", "B": "Hydropneumothorax, right", "C": "Pneumothorax, left"}
    assert extract_option("It is a hydropneumothorax, right.", options, "robust") == "B"
    assert extract_option("Yes", {"A": "yes", "B": "Yes", "C": "No"}, "robust") == EXTRACTION_FAILED
