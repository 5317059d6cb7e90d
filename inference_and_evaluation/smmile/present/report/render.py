"""The report page rendered from its template (every value escaped) and written to its file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from smmile.data.paper_tables import PaperTable
from smmile.errors import UserError
from smmile.io import write_atomic
from smmile.present.report.answers import build_views
from smmile.present.report.images import THUMB_SIZE, ImageStore
from smmile.present.report.summary import N_BOOT, SEED, build_summary
from smmile.present.report.view import Page, build_page
from smmile.present.tables import NO_SCORE
from smmile.results.reader import Result
from smmile.results.scores import read_judge_files
from smmile.types import Problem

TEMPLATE = "report.html.j2"


@cache
def environment() -> Environment:
    """The templates shipped in this package, autoescaped; the page's style and script (our own
    files, no data) are given to them as they are."""
    env = Environment(
        loader=PackageLoader("smmile.present.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def asset(name: str) -> Markup:
        assert env.loader is not None
        return Markup(env.loader.get_source(env, name)[0])

    env.globals.update(
        css=asset("report.css"), js=asset("report.js"), no_score=NO_SCORE, n_boot=N_BOOT, seed=SEED
    )
    return env


def render_page(page: Page) -> str:
    """The whole page as one self-contained HTML string."""
    return environment().get_template(TEMPLATE).render(page=page)


def _image_store(out: Path, inline: bool, size: int) -> ImageStore:
    """Thumbnails inline, or in `<out stem>_images/` beside the page."""
    if inline:
        return ImageStore(None, size=size)
    images = out.with_name(f"{out.stem}_images")
    try:
        images.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{images}: cannot create ({exc.strerror or exc})") from None
    return ImageStore(images, href_prefix=f"{images.name}/", size=size)


def write_report(
    results: Sequence[Result],
    folder: str | Path,
    out: str | Path,
    problems: Mapping[str, Problem] | None,
    inline_images: bool = False,
    thumb_size: int = THUMB_SIZE,
    subtitle: str = "",
    paper_table: PaperTable | None = None,
) -> tuple[int, list[str]]:
    """Write the report to `out` (images inline or in `<out stem>_images/` beside it).

    Returns the number of problems shown and warning lines.
    """
    out = Path(out)
    judged = read_judge_files(folder, results)
    views, notes = build_views(results, judged, problems)
    if not views:
        raise UserError(f"{folder}: no readable result to report")
    store = _image_store(out, inline_images or problems is None, thumb_size)
    summary = build_summary(results, judged, paper_table)
    title = f"SMMILE results: {Path(folder).resolve().name}"
    page = render_page(build_page(title, subtitle, views, summary, store))
    notes += store.notes
    write_atomic(out, page)  # a failure is one line naming the file (a FileProblem)
    return len(views), notes
