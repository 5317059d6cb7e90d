"""A static HTML report a clinician can browse offline: the summary table, then per problem the
examples (images, questions, answers), the query, the true answer and every model's answer with
its correctness. Filters (model, mode, format, speciality, flag, outcome, text) run in a small
inline script; nothing is loaded from outside the page and its images folder.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smmile.analysis.caveats import LEGEND, Caveats, legend_lines
from smmile.analysis.outcomes import JUDGE_SUFFIX, collect_outcomes, judge_verdicts, unjudged_cells
from smmile.analysis.paper import PaperTable
from smmile.analysis.paper_compare import TOLERANCE
from smmile.analysis.stats import bootstrap
from smmile.analysis.stratification import CONTEXT_FLAGS, SPECIALITY, value_key, value_order
from smmile.errors import FileProblem, UserError
from smmile.io import write_atomic
from smmile.present.tables import COLUMNS, NO_SCORE, display_name, row_order
from smmile.present.thumbnails import TooLarge, make_thumbnail
from smmile.results.reader import Result
from smmile.results.records import is_error
from smmile.scoring import metric_for, record_correct
from smmile.types import ImageRef, Problem, ResultRecord

THUMB_SIZE = 320
RESPONSE_LIMIT = 2000
_ESC = html.escape


# --- what the page shows ----------------------------------------------------------------------


@dataclass
class AnswerView:
    """One result's answer to one problem, with its verdicts (None: not scored that way)."""

    model: str
    mode: str
    task_format: str
    ablation: str | None
    record: ResultRecord
    em: bool | None = None
    mcqa: bool | None = None
    judge: bool | None = None


@dataclass
class ProblemView:
    problem_id: str
    question: str
    true_answer: str
    problem: Problem | None
    flags: dict[str, Any] = field(default_factory=dict)
    answers: list[AnswerView] = field(default_factory=list)


def _judges(result: Result, folder: Path, notes: list[str]) -> dict[str, int]:
    path = folder / f"{result.output_stem}{JUDGE_SUFFIX}"
    if result.key is None or result.key.task_format != "open" or not path.is_file():
        return {}
    try:
        return judge_verdicts(path)
    except (FileProblem, OSError) as exc:
        notes.append(f"error: {exc}")
        return {}


def _static_flags(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k not in CONTEXT_FLAGS}


def build_views(
    results: Sequence[Result], folder: str | Path, problems: Mapping[str, Problem] | None
) -> tuple[list[ProblemView], list[str]]:
    """One view per problem any result answered (sorted by id), and warning lines."""
    folder = Path(folder)
    notes: list[str] = []
    views: dict[str, ProblemView] = {}
    usable = [r for r in results if r.key is not None and r.records]
    models = [m for group in row_order([r.key.model for r in usable if r.key]) for m in group]
    rank = {m: i for i, m in enumerate(models)}

    def run_order(r: Result) -> tuple[int, bool, bool, bool, str]:
        key = r.key
        assert key is not None
        return (
            rank[key.model],
            key.ablation is not None,
            key.task_format != "open",
            key.inference_mode != "0-shot",
            key.ablation or "",
        )

    ranked = sorted(usable, key=run_order)
    for result in ranked:
        key = result.key
        assert key is not None
        judged = _judges(result, folder, notes)
        metric = metric_for(key.task_format)
        for rec in result.records:
            view = views.get(rec.problem_id)
            if view is None:
                problem = problems.get(rec.problem_id) if problems is not None else None
                view = ProblemView(
                    problem_id=rec.problem_id,
                    question=problem.query.question if problem else (rec.final_question or ""),
                    true_answer=problem.query.answer if problem else (rec.true_answer or ""),
                    problem=problem,
                    flags=_static_flags(problem.metadata if problem else rec.metadata),
                )
                views[rec.problem_id] = view
            elif not view.flags and rec.metadata:
                view.flags = _static_flags(rec.metadata)
            answer = AnswerView(key.model, key.inference_mode, key.task_format, key.ablation, rec)
            correct = record_correct(rec, metric)
            if metric == "EM":
                answer.em = correct
            else:
                answer.mcqa = correct
            if rec.problem_id in judged:
                answer.judge = bool(judged[rec.problem_id])
            view.answers.append(answer)
    if problems is not None:
        absent = [pid for pid in views if pid not in problems]
        if absent:
            notes.append(
                f"warning: {len(absent)} problem(s) of the results are not in the dataset (e.g. {absent[0]}); "
                "they are shown without examples"
            )
    return [views[pid] for pid in sorted(views)], notes


def summary_cells(results: Sequence[Result], folder: str | Path, n_boot: int = 1000, seed: int = 42):
    """{row label: {(metric, mode): bootstrap result}}; ablation runs get rows of their own."""
    outcomes, _ = collect_outcomes(list(results), Path(folder))
    models = [m for group in row_order(sorted({o.key.model for o in outcomes})) for m in group]
    rank = {m: i for i, m in enumerate(models)}
    rows: dict[str, dict[tuple[str, str], Any]] = {}
    for o in sorted(outcomes, key=lambda o: (rank[o.key.model], o.key.ablation or "")):
        label = display_name(o.key.model) + (f" [{o.key.ablation}]" if o.key.ablation else "")
        rows.setdefault(label, {})[(o.metric, o.key.inference_mode)] = bootstrap(o.vector, n_boot, seed)
    return rows


def summary_caveats(
    results: Sequence[Result], folder: str | Path
) -> dict[str, dict[tuple[str, str], Caveats]]:
    """{row label: {(metric, mode): caveats}} of the summary's cells, and of the plain LLM cells
    without a score (unjudged records), labelled as `summary_cells` labels them."""
    outcomes, _ = collect_outcomes(list(results), Path(folder))
    out: dict[str, dict[tuple[str, str], Caveats]] = {}
    for o in outcomes:
        if o.caveats is not None:
            label = display_name(o.key.model) + (f" [{o.key.ablation}]" if o.key.ablation else "")
            out.setdefault(label, {})[(o.metric, o.key.inference_mode)] = o.caveats
    for (model, metric, mode), caveats in unjudged_cells(list(results), Path(folder)).items():
        out.setdefault(display_name(model), {})[(metric, mode)] = caveats
    return out


def _marks_html(caveats: Caveats | None) -> str:
    if caveats is None:
        return ""
    details = "; ".join(caveats.details())
    sup = f'<sup title="{_attr(details)}">{_ESC(",".join(caveats.marks))}</sup>' if caveats.marks else ""
    return f' <span class="small">n={caveats.n}</span>{sup}'


def _legend_html(marks: Mapping[str, Mapping[tuple[str, str], Caveats]]) -> str:
    used = {m for cells in marks.values() for c in cells.values() for m in c.marks}
    lines = legend_lines([m for m in LEGEND if m in used])
    return "".join(f'<p class="meta legend">{_ESC(line)}</p>' for line in lines)


def paper_beside(
    results: Sequence[Result], table: PaperTable | None
) -> dict[str, dict[tuple[str, str], Any]]:
    """{row label: {(metric, mode): the paper's cell}} for the plain rows of models in `table`."""
    out: dict[str, dict[tuple[str, str], Any]] = {}
    for model in {r.key.model for r in results if r.key is not None and r.key.ablation is None}:
        for metric, mode in COLUMNS:
            cell = table.cell(model, metric, mode) if table else None
            if cell is not None:
                out.setdefault(display_name(model), {})[(metric, mode)] = cell
    return out


# --- images -----------------------------------------------------------------------------------


class ImageStore:
    """Thumbnails inline (data: URLs) or in a folder beside the page, each image once by hash;
    in folder mode the original is written too and linked from its thumbnail."""

    def __init__(self, folder: Path | None, href_prefix: str = "", size: int = THUMB_SIZE):
        self.folder = folder
        self.href_prefix = href_prefix
        self.size = size
        self._done: dict[str, tuple[str, str | None] | None] = {}
        self.unshown: dict[str, str] = {}  # sha256 -> why no thumbnail is shown
        self.notes: list[str] = []  # a warning per image not shown for its size

    def _thumbnail(self, ref: ImageRef) -> tuple[bytes, str] | None:
        from PIL import UnidentifiedImageError

        try:
            return make_thumbnail(ref.read_bytes(), self.size)
        except TooLarge as exc:
            name = ref.path or f"sha256 {ref.sha256[:12]}"
            self.unshown[ref.sha256] = "image too large to preview"
            self.notes.append(
                f"warning: image {name} is too large to preview ({exc}); shown as a placeholder"
            )
        except (OSError, ValueError, UnidentifiedImageError):
            pass
        return None

    def _write(self, name: str, data: bytes) -> None:
        assert self.folder is not None
        path = self.folder / name
        if path.is_file():
            return
        write_atomic(path, data)

    def sources(self, ref: ImageRef) -> tuple[str, str | None] | None:
        """(thumbnail src, full-size href or None), or None when the image cannot be read."""
        if ref.sha256 not in self._done:
            made = self._thumbnail(ref)
            if made is None:
                self._done[ref.sha256] = None
            elif self.folder is None:
                self._done[ref.sha256] = (
                    "data:image/jpeg;base64," + base64.b64encode(made[0]).decode(),
                    None,
                )
            else:
                stem = ref.sha256[:20]
                ext = {"jpeg": "jpg"}.get(made[1], made[1])
                self._write(f"{stem}_thumb.jpg", made[0])
                self._write(f"{stem}.{ext}", ref.read_bytes())
                self._done[ref.sha256] = (
                    f"{self.href_prefix}{stem}_thumb.jpg",
                    f"{self.href_prefix}{stem}.{ext}",
                )
        return self._done[ref.sha256]


# --- HTML -------------------------------------------------------------------------------------

STYLE = """
:root{--ok:#1b7d3a;--bad:#b3261e;--muted:#666;--line:#ddd}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
header,section,main{max-width:1250px;margin:0 auto;padding:0 16px}
h1{font-size:1.5rem;margin:18px 0 4px} h2{font-size:1.15rem;margin:18px 0 8px}
.meta{color:var(--muted);margin:0 0 8px}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid var(--line);padding:4px 7px;text-align:left;vertical-align:top;font-size:.9rem;overflow-wrap:break-word}
th{background:#f0f0f0}
#summary td.num{text-align:right;white-space:nowrap}
#filters{position:sticky;top:0;background:#fafafa;border-bottom:1px solid var(--line);padding:8px 16px;z-index:2}
#filters label{margin-right:10px;font-size:.9rem;white-space:nowrap}
#filters select,#filters input{font:inherit;font-size:.9rem}
#count{font-weight:600;margin:6px 0 0}
article.problem{background:#fff;border:1px solid var(--line);border-radius:6px;margin:14px 0;padding:10px 14px}
article.problem h3{font-size:1rem;margin:0 0 6px}
.tag{display:inline-block;background:#eef2f7;border-radius:3px;padding:0 6px;margin:0 4px 4px 0;font-size:.8rem;font-weight:400}
.shots{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
figure{margin:0;width:240px;border:1px solid var(--line);border-radius:4px;padding:6px;background:#fcfcfc}
figure.query{border:2px solid #1f5fa8;width:300px}
figure img{display:block;max-width:100%;max-height:240px;margin:0 auto 4px}
figcaption{font-size:.85rem;overflow-wrap:break-word} .noimg{color:var(--muted);font-style:italic;font-size:.85rem}
.truth{margin:6px 0;font-size:.95rem}
td.ok{color:var(--ok);font-weight:600} td.bad{color:var(--bad);font-weight:600} td.na{color:var(--muted)}
td.ok,td.bad,td.nw{white-space:nowrap;overflow-wrap:normal}
table.answers{width:100%;table-layout:auto} table.answers td:first-child{min-width:11em} table.answers th{white-space:nowrap} .ans{max-height:9.5em;overflow:auto}
.ans,pre,td.err,figcaption,.truth,.small{overflow-wrap:anywhere}
td.err{color:var(--bad)} .small{font-size:.8rem;color:var(--muted)} .small.far{color:var(--bad)}
pre{white-space:pre-wrap;font-size:.8rem;margin:4px 0;max-height:240px;overflow:auto}
[hidden]{display:none!important}
"""

SCRIPT = """
(function () {
  var keys = ["model", "mode", "format", "speciality", "flag", "outcome"];
  var sel = {};
  keys.forEach(function (k) { sel[k] = document.getElementById("f-" + k); });
  var text = document.getElementById("f-text");
  var problems = Array.prototype.slice.call(document.querySelectorAll("article.problem"));
  var count = document.getElementById("count");
  var shown = document.getElementById("shown");
  function apply() {
    var v = {};
    keys.forEach(function (k) { v[k] = sel[k].value; });
    var q = text.value.trim().toLowerCase();
    var rowFilter = v.model || v.mode || v.format || v.outcome;
    var n = 0;
    problems.forEach(function (p) {
      var ok = (!v.speciality || p.dataset.speciality === v.speciality) &&
        (!v.flag || p.dataset.flags.split("\\n").indexOf(v.flag) >= 0) &&
        (!q || p.dataset.text.indexOf(q) >= 0);
      var rows = 0;
      p.querySelectorAll("tr.answer").forEach(function (r) {
        var m = (!v.model || r.dataset.model === v.model) && (!v.mode || r.dataset.mode === v.mode) &&
          (!v.format || r.dataset.format === v.format) &&
          (!v.outcome || r.dataset.outcome.split(" ").indexOf(v.outcome) >= 0);
        r.hidden = !m;
        if (m) { rows += 1; }
      });
      ok = ok && (rows > 0 || !rowFilter);
      p.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
    count.setAttribute("data-shown", String(n));
  }
  function fromHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) { return; }
      var k = decodeURIComponent(kv.slice(0, i)), v = decodeURIComponent(kv.slice(i + 1));
      if (sel[k]) { sel[k].value = v; } else if (k === "q") { text.value = v; }
    });
  }
  function toHash() {
    var parts = [];
    keys.forEach(function (k) { if (sel[k].value) { parts.push(k + "=" + encodeURIComponent(sel[k].value)); } });
    if (text.value) { parts.push("q=" + encodeURIComponent(text.value)); }
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (e) {}
  }
  function update() { apply(); toHash(); }
  keys.forEach(function (k) { sel[k].addEventListener("change", update); });
  text.addEventListener("input", update);
  fromHash();
  apply();
  window.addEventListener("load", function () {
    var loaded = 0, broken = 0;
    Array.prototype.forEach.call(document.images, function (img) {
      if (img.complete && img.naturalWidth > 0) { loaded += 1; } else if (img.complete) { broken += 1; }
    });
    document.body.setAttribute("data-images-loaded", String(loaded));
    document.body.setAttribute("data-images-broken", String(broken));
  });
})();
"""

CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _attr(value: object) -> str:
    return _ESC(str(value), quote=True)


def _select(name: str, label: str, options: Sequence[tuple[str, str]]) -> str:
    """A filter: `options` are (value, text); the empty value means all."""
    items = "".join(f'<option value="{_attr(v)}">{_ESC(t)}</option>' for v, t in options)
    return f'<label>{_ESC(label)} <select id="f-{name}"><option value="">all</option>{items}</select></label>'


def _grouped_select(name: str, label: str, groups: Mapping[str, Sequence[tuple[str, str]]]) -> str:
    """A filter whose options come in named groups (one per flag)."""
    items = "".join(
        f'<optgroup label="{_attr(group)}">'
        + "".join(f'<option value="{_attr(v)}">{_ESC(t)}</option>' for v, t in options)
        + "</optgroup>"
        for group, options in groups.items()
    )
    return f'<label>{_ESC(label)} <select id="f-{name}"><option value="">all</option>{items}</select></label>'


def _verdict(value: bool | None) -> str:
    if value is None:
        return '<td class="na" title="not scored this way">–</td>'
    return (
        '<td class="ok" title="correct">✓ right</td>'
        if value
        else '<td class="bad" title="wrong">✗ wrong</td>'
    )


def _image(ref: ImageRef | None, store: ImageStore, alt: str) -> str:
    if ref is None:
        return '<div class="noimg">no image</div>'
    srcs = store.sources(ref)
    if srcs is None:
        return f'<div class="noimg">{html.escape(store.unshown.get(ref.sha256, "image unreadable"))}</div>'
    img = f'<img src="{_attr(srcs[0])}" alt="{_attr(alt)}" loading="lazy">'
    return f'<a href="{_attr(srcs[1])}">{img}</a>' if srcs[1] else img


def _answer_text(a: AnswerView) -> str:
    rec = a.record
    if is_error(rec):
        return f'<td class="err">error: {_ESC(rec.error or str(rec.generated_answer))}</td>'
    if a.task_format == "mcqa":
        letter = rec.selected_option or "?"
        body = f"{_ESC(letter)}. {_ESC(rec.generated_answer or '')}" if rec.generated_answer else _ESC(letter)
        extra = []
        if rec.options:
            opts = " · ".join(f"{_ESC(k)}. {_ESC(v)}" for k, v in rec.options.items())
            extra.append(
                f'<div class="small">options: {opts}; correct {_ESC(rec.correct_option or "?")}</div>'
            )
        if rec.full_response:
            full = rec.full_response
            full = full if len(full) <= RESPONSE_LIMIT else full[:RESPONSE_LIMIT] + " …"
            extra.append(f"<details><summary class=small>response</summary><pre>{_ESC(full)}</pre></details>")
        return f"<td>{body}{''.join(extra)}</td>"
    text = rec.generated_answer if rec.generated_answer is not None else "(no answer)"
    return f'<td><div class="ans">{_ESC(text)}</div></td>'


def _outcome(a: AnswerView) -> str:
    tokens = []
    main = a.em if a.em is not None else a.mcqa
    if main is not None:
        tokens.append("right" if main else "wrong")
    if a.judge is not None:
        tokens.append("judge-right" if a.judge else "judge-wrong")
    if is_error(a.record):
        tokens.append("error")
    return " ".join(tokens)


def _shown_note(a: AnswerView, problem: Problem | None) -> str:
    seen = a.record.examples_seen
    if problem is None or seen is None or a.mode != "ICL":
        return ""
    if list(seen) == [t.order for t in problem.examples]:
        return ""
    shown = ", ".join(str(s) for s in seen) or "none"
    return f'<div class="small">examples shown (order): {_ESC(shown)}</div>'


def _flag_tokens(flags: Mapping[str, Any]) -> list[str]:
    return [f"{k}={value_key(v)}" for k, v in flags.items()]


def _problem_html(index: int, view: ProblemView, store: ImageStore) -> str:
    flags = view.flags
    speciality = value_key(flags.get(SPECIALITY)) if SPECIALITY in flags else ""
    search = " ".join(
        [view.problem_id, view.question, view.true_answer]
        + [str(a.record.generated_answer or "") for a in view.answers]
    ).lower()
    tags = "".join(
        f'<span class="tag" title="{_attr(k)}">{_ESC(value_key(v))}</span>' for k, v in flags.items()
    )
    out = [
        f'<article class="problem" id="p{index}" data-pid="{_attr(view.problem_id)}" '
        f'data-speciality="{_attr(speciality)}" data-flags="{_attr(chr(10).join(_flag_tokens(flags)))}" '
        f'data-text="{_attr(search)}">',
        f"<h3>Problem {_ESC(view.problem_id)} {tags}</h3>",
        '<div class="shots">',
    ]
    problem = view.problem
    if problem is None:
        out.append(
            '<p class="noimg">Examples and images not available: the report was built without the dataset.</p>'
        )
    else:
        for k, ex in enumerate(problem.examples, start=1):
            out.append(
                f"<figure>{_image(ex.image, store, f'example {k}')}<figcaption><b>Example {k}</b><br>"
                f"<i>Q:</i> {_ESC(ex.question)}<br><i>A:</i> {_ESC(ex.answer)}</figcaption></figure>"
            )
        out.append(
            f'<figure class="query">{_image(problem.query.image, store, "query")}'
            f"<figcaption><b>Query</b><br><i>Q:</i> {_ESC(problem.query.question)}</figcaption></figure>"
        )
    out.append("</div>")
    if problem is None:
        out.append(f'<p class="truth"><b>Question:</b> {_ESC(view.question)}</p>')
    out.append(f'<p class="truth"><b>True answer:</b> {_ESC(view.true_answer)}</p>')
    out.append(
        '<table class="answers"><tr><th>Model</th><th>Mode</th><th>Format</th><th>Answer</th>'
        "<th>EM</th><th>MCQA</th><th>Judge</th></tr>"
    )
    for a in view.answers:
        label = display_name(a.model) + (f" [{a.ablation}]" if a.ablation else "")
        out.append(
            f'<tr class="answer" data-model="{_attr(a.model)}" data-mode="{_attr(a.mode)}" '
            f'data-format="{_attr(a.task_format)}" data-outcome="{_attr(_outcome(a))}">'
            f'<td>{_ESC(label)}{_shown_note(a, problem)}</td><td class="nw">{_ESC(a.mode)}</td>'
            f'<td class="nw">{_ESC(a.task_format)}</td>'
            f"{_answer_text(a)}{_verdict(a.em)}{_verdict(a.mcqa)}{_verdict(a.judge)}</tr>"
        )
    out.append("</table></article>")
    return "\n".join(out)


def _paper_html(ours: Any, paper: Any, problems: int) -> str:
    """The paper's value under ours; ≠ when more than TOLERANCE apart (only over all the problems)."""
    if paper is None:
        return ""
    sd = "" if paper.sd is None else f" ± {paper.sd:.1f}"
    if ours is not None and ours.n != problems:
        return f'<br><span class="small">paper {paper.value:.1f}{sd} (ours: {ours.n} of {problems})</span>'
    far = ours is not None and abs(ours.accuracy - paper.value) > TOLERANCE
    return f'<br><span class="small{" far" if far else ""}">paper {paper.value:.1f}{sd}{" ≠" if far else ""}</span>'


def _summary_html(
    rows: Mapping[str, Mapping[tuple[str, str], Any]],
    paper: Mapping[str, Mapping[tuple[str, str], Any]] | None = None,
    table: PaperTable | None = None,
    marks: Mapping[str, Mapping[tuple[str, str], Caveats]] | None = None,
) -> str:
    paper = paper or {}
    marks = marks or {}
    columns = [c for c in COLUMNS if any(c in cells for cells in [*rows.values(), *marks.values()])]
    head = "".join(f"<th>{_ESC(m)} {_ESC(mode)}</th>" for m, mode in columns)
    body = []
    for label in dict.fromkeys([*rows, *marks]):
        cells, tds = rows.get(label, {}), []
        for column in columns:
            c = cells.get(column)
            beside = _paper_html(c, paper.get(label, {}).get(column), table.problems if table else 0)
            noted = _marks_html(marks.get(label, {}).get(column))
            tds.append(
                f'<td class="num">{NO_SCORE if noted else "–"}{noted}{beside}</td>'
                if c is None
                else f'<td class="num" title="n={c.n}">{c.accuracy:.1f} '
                f'<span class="small">[{c.ci_low:.1f}–{c.ci_high:.1f}]</span>{noted}{beside}</td>'
            )
        body.append(f"<tr><td>{_ESC(label)}</td>{''.join(tds)}</tr>")
    note = (
        f" Paper: the value in the paper's {table.table} ({table.dataset_name}), a mean of "
        f"{table.bootstrap_resamples} bootstrap means ± SD; ≠ marks a cell more than {TOLERANCE:g} points "
        "from it (compare_paper.py says by how many answers and whether the bootstrap explains it)."
        if paper and table
        else ""
    )
    return (
        f"<table><tr><th>Model</th>{head}</tr>{''.join(body)}</table>"
        '<p class="meta">Accuracy (%) with its 95% bootstrap interval (1000 resamples, seed 42) and n; '
        f"LLM: the judge's verdicts, EM: exact match of open answers, MCQA: option accuracy.{_ESC(note)}</p>"
        + _legend_html(marks)
    )


def _filters(views: Sequence[ProblemView]) -> str:
    models: dict[str, None] = {}
    modes: set[str] = set()
    formats: set[str] = set()
    specialities: set[str] = set()
    flags: dict[str, set[str]] = {}
    for view in views:
        for a in view.answers:
            models[a.model] = None
            modes.add(a.mode)
            formats.add(a.task_format)
        for k, v in view.flags.items():
            if k == SPECIALITY:
                specialities.add(value_key(v))
            else:
                flags.setdefault(k, set()).add(value_key(v))
    model_order = [m for group in row_order(list(models)) for m in group]
    flag_groups = {
        k.removeprefix("flag_").replace("_", " "): [
            (f"{k}={v}", v) for v in sorted(flags[k], key=value_order)
        ]
        for k in flags
    }
    outcomes = [("right", "EM/MCQA right"), ("wrong", "EM/MCQA wrong"), ("judge-right", "judge: right"),
                ("judge-wrong", "judge: wrong"), ("error", "error")]  # fmt: skip
    return "".join(
        [
            _select("model", "Model", [(m, display_name(m)) for m in model_order]),
            _select("mode", "Mode", [(m, m) for m in sorted(modes)]),
            _select("format", "Format", [(f, f) for f in sorted(formats)]),
            _select("speciality", "Speciality", [(s, s) for s in sorted(specialities, key=value_order)]),
            _grouped_select("flag", "Flag", flag_groups),
            _select("outcome", "Answer", outcomes),
            '<label>Search <input id="f-text" type="search" placeholder="question, answer, id"></label>',
        ]
    )


def render_report(
    title: str,
    views: Sequence[ProblemView],
    summary: Mapping[str, Mapping[tuple[str, str], Any]],
    store: ImageStore,
    subtitle: str = "",
    paper: Mapping[str, Mapping[tuple[str, str], Any]] | None = None,
    table: PaperTable | None = None,
    marks: Mapping[str, Mapping[tuple[str, str], Caveats]] | None = None,
) -> str:
    """The whole page as a string."""
    total = len(views)
    problems = "\n".join(_problem_html(i, v, store) for i, v in enumerate(views))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_attr(CSP)}">
<title>{_ESC(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{_ESC(title)}</h1><p class="meta">{_ESC(subtitle)}</p></header>
<section id="summary"><h2>Summary</h2>{_summary_html(summary, paper, table, marks)}</section>
<section id="filters">{_filters(views)}
<p id="count" data-total="{total}" data-shown="">Showing <span id="shown">{total}</span> of {total} problems</p>
</section>
<main id="problems">
{problems}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""


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
    views, notes = build_views(results, folder, problems)
    if not views:
        raise UserError(f"{folder}: no readable result to report")
    if inline_images or problems is None:
        store = ImageStore(None, size=thumb_size)
    else:
        images = out.with_name(f"{out.stem}_images")
        try:
            images.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{images}: cannot create ({exc.strerror or exc})") from None
        store = ImageStore(images, href_prefix=f"{images.name}/", size=thumb_size)
    summary = summary_cells(results, folder)
    title = f"SMMILE results: {Path(folder).resolve().name}"
    paper = paper_beside(results, paper_table)
    marks = summary_caveats(results, folder)
    page = render_report(title, views, summary, store, subtitle, paper, paper_table, marks)
    notes += store.notes
    try:
        write_atomic(out, page)
    except OSError as exc:
        raise UserError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return len(views), notes
