"""One reader for result files: this harness's JSONL (shards merged) and the authors' CSVs
(their dialect: `authors_csv`).

A JSONL result and a CSV of the same key are distinct sources (two Results); the scripts score
one source per key through `one_per_key` (JSONL preferred), and say which file they set aside.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smmile.errors import FileProblem, UserError
from smmile.results.authors_csv import read_csv_records
from smmile.results.datasets import ORDER as DATASET_ORDER
from smmile.results.datasets import PROBLEM_COUNTS, record_dataset
from smmile.results.jsonl import read_jsonl
from smmile.results.naming import ResultFile, ResultKey, looks_like_result, parse_result_name
from smmile.results.records import duplicated_answers, latest_per_problem
from smmile.results.schema import check_fields, record_from_json
from smmile.types import ResultRecord

_MAX_LISTED = 5


@dataclass
class Result:
    """One result (one key, one source kind), its records one per problem, and what went wrong."""

    key: ResultKey | None  # None: the file name does not parse
    kind: str  # "jsonl" or "csv"
    files: list[Path]
    output_stem: str
    records: list[ResultRecord] = field(default_factory=list)
    original_count: int = 0  # rows read, before dropping duplicates of a problem id
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing_shards: list[str] = field(default_factory=list)  # shard files of the result not found
    manifest_expected: int | None = None  # problems its run manifest(s) expected, when known

    @property
    def name(self) -> str:
        return (
            self.files[0].name
            if len(self.files) == 1
            else f"{self.output_stem}.{self.kind} ({len(self.files)} files)"
        )

    @property
    def usable(self) -> bool:
        return self.key is not None and bool(self.records)

    def notices(self) -> list[str]:
        """One line per problem and warning, for stderr."""
        return [f"error: {p}" for p in self.problems] + [f"warning: {w}" for w in self.warnings]


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f", ... ({len(items)} in all)" if len(items) > _MAX_LISTED else "")


def one_record_per_problem(records: list[ResultRecord]) -> tuple[list[ResultRecord], list[str]]:
    """One record per problem (`latest_per_problem`) and the problems answered more than once."""
    return list(latest_per_problem(records).values()), duplicated_answers(records)


# --- JSONL (this harness's results) ------------------------------------------------------------


def read_jsonl_records(
    path: str | Path, task_format: str, allow_empty: bool = False
) -> tuple[list[ResultRecord], list[str]]:
    """Records of one JSONL file and its warnings (a torn last line).

    `allow_empty`: an empty file is fine (a shard whose manifest expects no problem).
    """
    path = Path(path)
    if not path.read_bytes().strip():
        if allow_empty:
            return [], []
        raise FileProblem(path, "empty file")
    content = read_jsonl(path)
    if not content.rows:
        raise FileProblem(path, "no complete record (the only line is cut short)")
    records = []
    for n, row in enumerate(content.rows, start=1):
        if not row.get("problem_id"):
            raise FileProblem(path, f"record {n} has no problem_id")
        try:
            check_fields(path, set(row), task_format, what="field")
            records.append(record_from_json(row))
        except FileProblem as exc:
            raise FileProblem(path, f"record {n} (problem {row['problem_id']}): {exc.problem}") from None
        except (TypeError, ValueError) as exc:
            raise FileProblem(path, f"record {n} is not a result record ({exc})") from None
    return records, list(content.warnings)


def _manifest_problems(path: Path) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    expected = data.get("expected_problems") if isinstance(data, dict) else None
    return [str(p) for p in expected] if isinstance(expected, list) else None


def _completeness(folder: Path, key: ResultKey, files: list[ResultFile], result: Result) -> list[str]:
    """Missing shard files, and problems a manifest expected that no record holds (also noted
    on `result`: missing_shards, manifest_expected)."""
    present = {r.problem_id for r in result.records}
    notes: list[str] = []
    expected: set[str] = set()
    known = False
    shard_counts = sorted({f.shard[1] for f in files if f.shard})
    if len(shard_counts) > 1 or (shard_counts and any(f.shard is None for f in files)):
        notes.append(
            f"{key.stem}: files of different shard layouts are merged "
            f"({', '.join(f.path.name for f in files)})"
        )
    for n in shard_counts:
        have = {f.shard[0] for f in files if f.shard and f.shard[1] == n}
        absent = [k for k in range(n) if k not in have]
        if absent:
            names = [key.file_name((k, n)) for k in absent]
            result.missing_shards += names
            notes.append(f"{key.stem}: shard file(s) missing: {_listed(names)}")
        for k in range(n):
            listed = _manifest_problems(folder / key.manifest_name((k, n)))
            known = known or listed is not None
            expected |= set(listed or ())
    if any(f.shard is None for f in files):
        listed = _manifest_problems(folder / key.manifest_name())
        known = known or listed is not None
        expected |= set(listed or ())
    if known:
        result.manifest_expected = len(expected | present)
    missing = sorted(expected - present)
    if missing:
        notes.append(
            f"{key.stem}: {len(missing)} problem(s) the run manifest expected have no record: "
            f"{_listed(missing)}"
        )
    return notes


# --- discovery ---------------------------------------------------------------------------------


def _key_order(key: ResultKey) -> tuple[str, str, str, str]:
    return (key.model, key.inference_mode, key.task_format, key.ablation or "")


def _shard_order(f: ResultFile) -> tuple[int, int]:
    return f.shard[::-1] if f.shard else (0, -1)


def _read_group(folder: Path, key: ResultKey, kind: str, files: list[ResultFile]) -> Result:
    """One Result from its files (in `_shard_order`)."""
    result = Result(key=key, kind=kind, files=[f.path for f in files], output_stem=files[0].output_stem)
    raw: list[ResultRecord] = []
    for f in files:
        try:
            if kind == "csv":
                raw += read_csv_records(f.path, key)
            else:
                nothing_expected = _manifest_problems(folder / key.manifest_name(f.shard)) == []
                recs, warns = read_jsonl_records(f.path, key.task_format, allow_empty=nothing_expected)
                raw += recs
                result.warnings += warns
        except FileProblem as exc:
            result.problems.append(str(exc))
        except OSError as exc:
            result.problems.append(f"{f.path}: cannot be read ({exc.strerror or exc})")
    result.original_count = len(raw)
    result.records, duplicated = one_record_per_problem(raw)
    if duplicated:
        result.warnings.append(
            f"{result.name}: problem id(s) with more than one answer, the last one kept: "
            f"{_listed(duplicated)}"
        )
    if kind == "jsonl":
        result.warnings += _completeness(folder, key, files, result)
        mixed = _mixed_identities(result)
        if mixed:
            result.problems.append(mixed)
            result.records = []  # a number over records of two models or settings is never shown
    return result


def _mixed_identities(result: Result) -> str | None:
    """Why a result's records (e.g. its shards) cannot be one result: they carry different run
    identities (another checkpoint, generation setting, seed...). Records without one are not judged."""
    runs: dict[str, list[str]] = defaultdict(list)
    for rec in result.records:
        if rec.identity and rec.identity.get("run"):
            runs[rec.identity["run"]].append(rec.problem_id)
    if len(runs) < 2:
        return None
    parts = [f"run {run} ({len(ids)} problem(s), e.g. {min(ids)})" for run, ids in sorted(runs.items())]
    return (
        f"{result.name}: records of {len(runs)} different run identities (model, settings or seed differ; "
        f"see the manifests): {'; '.join(parts)}; not scored. Re-run the odd shard(s) with --no-resume"
    )


def _result_files(
    folder: Path,
) -> tuple[list[tuple[tuple[ResultKey, str], list[ResultFile]]], list[Path]]:
    """The result files directly in `folder` by (key, kind), in reading order, and the files
    named like results whose names do not parse; nothing is read."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    groups: dict[tuple[ResultKey, str], list[ResultFile]] = defaultdict(list)
    unnamed: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not (looks_like_result(path) and path.is_file()):
            continue
        parsed = parse_result_name(path)
        if parsed is None:
            unnamed.append(path)
            continue
        groups[(parsed.key, parsed.kind)].append(parsed)
    ordered = sorted(groups.items(), key=lambda item: (_key_order(item[0][0]), item[0][1]))
    return [(group, sorted(files, key=_shard_order)) for group, files in ordered], unnamed


def _unnamed(path: Path) -> Result:
    return Result(
        key=None,
        kind=path.suffix.lstrip("."),
        files=[path],
        output_stem=path.stem,
        problems=[
            f"{path}: file name does not read as result_<model>_<0-shot|ICL>[_<open|mcqa>]"
            f"[.<ablation>][.shard-K-of-N].jsonl (or .csv); skipped"
        ],
    )


def discover_results(folder: str | Path) -> list[Result]:
    """Every `result_*.jsonl|csv` directly in `folder`, grouped into Results (shards merged)."""
    folder = Path(folder)
    groups, unnamed = _result_files(folder)
    results = [_read_group(folder, key, kind, files) for (key, kind), files in groups]
    return results + [_unnamed(path) for path in unnamed]


def result_stems(folder: str | Path) -> set[str]:
    """The output stems of `discover_results(folder)`, from the file names alone."""
    groups, unnamed = _result_files(Path(folder))
    return {files[0].output_stem for _, files in groups} | {path.stem for path in unnamed}


def one_per_key(results: list[Result]) -> tuple[list[Result], list[str]]:
    """Keep one usable source per key (JSONL before CSV, then by file name); say what was set aside."""
    by_key: dict[ResultKey, list[Result]] = defaultdict(list)
    for r in results:
        if r.usable and r.key is not None:
            by_key[r.key].append(r)
    kept, notes = [], []
    for key in sorted(by_key, key=_key_order):
        first, *rest = sorted(by_key[key], key=lambda r: (r.kind != "jsonl", r.name))
        kept.append(first)
        notes += [
            f"warning: {r.name}: same result as {first.name}, which is used; this one is ignored"
            for r in rest
        ]
    return kept, notes


def load_results(
    folder: str | Path, models: Sequence[str] | None = None, inference_mode: str | None = None
) -> tuple[list[Result], list[str]]:
    """The usable results of `folder` matching the filters (one source per key), and the lines
    (problems, warnings) to show the user. A folder with no result file is a UserError.
    """
    folder = Path(folder)
    found = discover_results(folder)
    if not found:
        raise UserError(f"{folder}: no result files (result_<model>_<mode>[_<format>].jsonl or .csv)")

    def wanted(r: Result) -> bool:  # a file whose name does not parse is always reported
        return r.key is None or (
            (not models or r.key.model in models) and inference_mode in (None, r.key.inference_mode)
        )

    chosen = [r for r in found if wanted(r)]
    if any(r.key is not None for r in found) and not any(r.key is not None for r in chosen):
        raise UserError(
            f"{folder}: no result matches --model {' '.join(models or ['*'])} "
            f"--inference-mode {inference_mode or '*'}"
        )
    kept, notes = one_per_key(chosen)
    return kept, [line for r in chosen for line in r.notices()] + notes


def check_single_dataset(
    results: Iterable[Result], folder: str | Path, alone: Iterable[tuple[str, Iterable[str]]] = ()
) -> None:
    """Raise a UserError (one line naming the files of each) when the results answer more than
    one dataset (SMMILE, SMMILE++, the demo). `alone`: (file name, problem ids) of saved scores
    whose result file is absent."""
    groups: dict[str, list[str]] = defaultdict(list)
    for result in results:
        for label in dict.fromkeys(record_dataset(r.problem_id, r.dataset) for r in result.records):
            groups[label].append(result.name)
    for name, ids in alone:
        for label in dict.fromkeys(record_dataset(p) for p in ids):
            groups[label].append(name)
    if len(groups) < 2:
        return
    labels = sorted(groups, key=lambda d: (DATASET_ORDER.index(d) if d in DATASET_ORDER else 9, d))
    each = "; ".join(f"{d} ({PROBLEM_COUNTS.get(d, '?')} problems): {_listed(groups[d])}" for d in labels)
    raise UserError(
        f"{folder}: mixes {' and '.join(labels)} results ({each}); keep each dataset's results "
        "in a folder of its own"
    )
