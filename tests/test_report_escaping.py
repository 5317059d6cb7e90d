"""The report page holds what the results say as text: a model name, an answer, a question, an
option, an error or a flag with markup in it is shown as written, never run as markup."""

from __future__ import annotations

import json
from dataclasses import asdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smmile.present.report import write_report
from smmile.results.reader import load_results
from smmile.types import ResultRecord

HOSTILE = "<script>alert(\"x\")</script> & 'q'"
MODEL = "<script>alert('m')\"&"  # a model's name comes from its file name: no slash in it
FOLDER = "<b>results\"'&"


class ParsedPage(HTMLParser):
    """The page as a browser reads it: its tags, its text runs and its attribute values."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.texts: list[str] = []
        self.attributes: dict[str, list[str]] = {}
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.setdefault(name, []).append(value or "")

    def handle_data(self, data):
        self.texts.append(data)

    def shows(self, text: str) -> bool:
        """Whether `text` is in the page's text as a reader sees it (tags dropped)."""
        return text in "".join(self.texts)


def write(path: Path, records: list[ResultRecord]) -> None:
    path.write_text("".join(json.dumps(asdict(r)) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def page(tmp_path: Path) -> tuple[str, ParsedPage]:
    folder = tmp_path / FOLDER
    folder.mkdir()
    common = dict(model=MODEL, inference_mode="ICL", dataset="x/y")
    metadata = {"speciality": HOSTILE, "flag_image_type": HOSTILE}
    write(
        folder / f"result_{MODEL}_ICL_open.jsonl",
        [
            ResultRecord("p1", HOSTILE, HOSTILE, HOSTILE, task_format="open", metadata=metadata, **common),
            ResultRecord("p2", "q", "a", None, task_format="open", status="error", error=HOSTILE, **common),
        ],
    )
    write(
        folder / f"result_{MODEL}_ICL_mcqa.jsonl",
        [
            ResultRecord(
                "p1",
                HOSTILE,
                HOSTILE,
                HOSTILE,
                full_response=HOSTILE,
                options={"A": HOSTILE, "B": "b"},
                correct_option="B",
                selected_option="A",
                task_format="mcqa",
                **common,
            )
        ],
    )
    results, _ = load_results(folder)
    out = tmp_path / "report.html"
    count, _ = write_report(results, folder, out, None)
    assert count == 2
    text = out.read_text(encoding="utf-8")
    return text, ParsedPage(text)


def test_markup_in_the_results_is_text_in_the_page(page):
    text, parsed = page
    assert parsed.tags.count("script") == 1  # the page's own filter script, nothing more
    assert "<script>alert" not in text and "<b>results" not in text
    assert parsed.shows(f"SMMILE results: {FOLDER}")  # the title names the folder
    for shown in (
        f"Question: {HOSTILE}",  # no dataset: the record's question
        f"True answer: {HOSTILE}",
        HOSTILE,  # the open answer, in its own block
        f"error: {HOSTILE}",
        f"options: A. {HOSTILE} · B. b; correct B",
        f"A. {HOSTILE}",  # the chosen option
        MODEL,  # the row's label and the model filter's choice
    ):
        assert parsed.shows(shown), shown
    pre = text.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert "<" not in pre and parsed.shows(HOSTILE)  # the MCQA reply, escaped in its <pre>


def test_markup_in_attributes_stays_inside_them(page):
    _, parsed = page
    assert set(parsed.attributes["data-model"]) == {MODEL}
    assert parsed.attributes["data-speciality"].count(HOSTILE) == 1
    assert f"flag_image_type={HOSTILE}" in parsed.attributes["data-flags"][0].split("\n")
    assert f"flag_image_type={HOSTILE}" in parsed.attributes["value"]  # the flag filter's choice
    assert HOSTILE in parsed.attributes["value"]  # the speciality filter's choice
    assert any(HOSTILE.lower() in t for t in parsed.attributes["data-text"])  # the search text
