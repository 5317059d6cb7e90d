"""The identity of a run: what every record of one result file was made with, and the resume check.

A `RunIdentity` names the model and what was loaded for it, the dataset and the content of its
problems, the protocol, profile, seed, ablation and generation settings. The manifest keeps it in
full; every record carries a compact stamp of it (`ResultRecord.identity`: a few short hashes, one
of them of the problem's content as shown), so a resume that would mix records of different
identities is refused in one line naming what changed, even when the manifest is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from smmile.ablations import Ablation
from smmile.errors import UserError
from smmile.fingerprint import digest
from smmile.types import Problem, ResultRecord, Triplet

IDENTITY_VERSION = 1
_ABLATION_SETTINGS = frozenset(f.name for f in fields(Ablation))
SHOWN_IDS = 5  # problem ids named in a refusal


def _triplet(t: Triplet) -> list[Any]:
    return [t.problem_id, t.order, t.question, t.answer, t.image.sha256 if t.image else None]


def problem_content(problem: Problem) -> str:
    """Fingerprint of a problem as loaded: ids, orders, questions, answers, image hashes, metadata."""
    return digest({"rows": [_triplet(t) for t in problem.triplets], "metadata": problem.metadata})


def shown_content(problem: Problem, shown: Problem) -> str:
    """Fingerprint of what a record answers: the problem (its answers make the MCQA options) and
    the rows its prompt showed (an ablation may show rows of other problems)."""
    return digest([problem_content(problem), [_triplet(t) for t in shown.triplets]])


def dataset_content(problems: list[Problem]) -> str:
    """Fingerprint of every problem of a dataset as loaded."""
    return digest([[p.problem_id, problem_content(p)] for p in problems])


@dataclass(frozen=True)
class RunIdentity:
    """What a result file's records were made with. Fields in DESCRIPTIVE are recorded only: the
    checkpoint folder (a copied checkpoint is the same model: its files' fingerprint is compared),
    the dataset's revision and whole-content fingerprint (each answered problem's content is
    compared instead, so fetching a missing image or a new revision that leaves the answered
    problems as they were does not stop a resume)."""

    model: str
    inference_mode: str
    task_format: str
    dataset_id: str
    protocol: str
    profile: str
    seed: int
    ablation: dict[str, Any] | None
    model_source: str | None = None
    model_revision: str | None = None
    model_config: str | None = None
    generation: dict[str, Any] = field(default_factory=dict)
    model_path: str | None = None
    dataset_revision: str | None = None
    dataset_content: str | None = None

    DESCRIPTIVE: ClassVar[frozenset[str]] = frozenset({"model_path", "dataset_revision", "dataset_content"})
    LOADED: ClassVar[tuple[str, ...]] = ("model_source", "model_revision", "model_config")
    # identity field -> the record field that stores it in plain
    IN_RECORDS: ClassVar[dict[str, str]] = {
        "model": "model",
        "inference_mode": "inference_mode",
        "task_format": "task_format",
        "dataset_id": "dataset",
        "protocol": "protocol",
        "profile": "profile",
        "seed": "seed",
        "ablation": "ablation",
    }

    def compared(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in self.DESCRIPTIVE}

    def to_json(self) -> dict[str, Any]:
        return {"version": IDENTITY_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, obj: Any) -> RunIdentity | None:
        """The identity a manifest recorded, or None (absent, from an earlier version, malformed)."""
        if not isinstance(obj, Mapping) or obj.get("version") != IDENTITY_VERSION:
            return None
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in obj.items() if k in names})
        except TypeError:
            return None

    def stamp(self, content: str) -> dict[str, str]:
        """The compact identity a record carries: hashes of the whole, of what was loaded, of the
        generation settings, and of the problem's content as shown."""
        return {**self._run_hashes, "problem": content}

    @cached_property
    def _run_hashes(self) -> dict[str, str]:
        """The stamp's hashes of the run itself: the same for every record (computed once)."""
        return {
            "run": digest(self.compared()),
            "model": digest({k: getattr(self, k) for k in self.LOADED}),
            "generation": digest(self.generation),
        }


def _show(value: Any) -> str:
    return (
        repr(value)
        if not isinstance(value, dict)
        else "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
    )


def manifest_changes(before: RunIdentity, now: RunIdentity) -> dict[str, str]:
    """field -> "old -> new" for each compared field that differs."""
    old, new = before.compared(), now.compared()
    changes = {k: f"{_show(old[k])} -> {_show(new[k])}" for k in new if old.get(k) != new[k]}
    if changes.keys() & set(RunIdentity.LOADED) and before.model_path != now.model_path:
        changes["model_path"] = f"{before.model_path} -> {now.model_path}"
    return changes


def _record_ablation(record: ResultRecord) -> dict[str, Any] | None:
    """The record's ablation settings, without the notes of what they did (e.g. relevant_examples)."""
    if record.ablation is None:
        return None
    return {k: v for k, v in record.ablation.items() if k in _ABLATION_SETTINGS}


def record_changes(record: ResultRecord, now: RunIdentity, stamp: dict[str, str]) -> dict[str, str]:
    """field -> "old -> new" for what differs between a kept record and the current identity."""
    changes: dict[str, str] = {}
    for name, column in RunIdentity.IN_RECORDS.items():
        old = _record_ablation(record) if name == "ablation" else getattr(record, column)
        new = getattr(now, name)
        if old != new:
            changes[name] = f"{_show(old)} -> {_show(new)}"
    theirs = record.identity or {}
    if theirs.get("model") != stamp["model"]:
        loaded = ", ".join(f"{k.removeprefix('model_')} {getattr(now, k)}" for k in RunIdentity.LOADED)
        changes["model loaded"] = f"{theirs.get('model')} -> {stamp['model']} (now {loaded})"
    if theirs.get("generation") != stamp["generation"]:
        changes["generation"] = (
            f"{theirs.get('generation')} -> {stamp['generation']} (now {_show(now.generation)})"
        )
    if not changes and theirs.get("run") != stamp["run"]:
        changes["run identity"] = f"{theirs.get('run')} -> {stamp['run']}"
    return changes


def _ids(ids: list[str]) -> str:
    head = ", ".join(sorted(ids)[:SHOWN_IDS])
    return head + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


def check_resume(
    path: Path,
    now: RunIdentity,
    manifest: Mapping[str, Any] | None,
    records: Mapping[str, ResultRecord],
    content_now: Callable[[str], str | None],
    skipped: set[str] = frozenset(),  # type: ignore[assignment]
    loaded: bool = True,
) -> None:
    """Refuse, in one line naming what changed (old -> new), to add records of identity `now` to
    a result whose kept (ok) records were made otherwise. `content_now(problem_id)` is the content
    fingerprint a record of that problem would carry now (None: not in the dataset); problems in
    `skipped` (left out now for a missing image) are not held against the old records. With
    `loaded` False (before the model is loaded) what was loaded and the generation settings are
    not compared."""
    kept = [r for r in records.values() if r.status == "ok"]
    if not kept:
        return
    changes: dict[str, str] = {}
    before = RunIdentity.from_json((manifest or {}).get("identity"))
    unknown = set() if loaded else {*RunIdentity.LOADED, "generation", "model_path"}
    if before is not None:
        changes.update({k: v for k, v in manifest_changes(before, now).items() if k not in unknown})
    unstamped = [r.problem_id for r in kept if not r.identity]
    if unstamped:
        raise UserError(
            f"{path}: {len(unstamped)} record(s) were written by an earlier version without a run identity "
            f"(e.g. problem {sorted(unstamped)[0]}), so what made them cannot be checked; "
            "use --no-resume to start over (the old file is kept) or another --output-dir"
        )
    stamp = now.stamp("")
    named_loaded = bool(changes.keys() & set(RunIdentity.LOADED))  # the manifest said it in full
    for record in kept:
        for name, change in record_changes(record, now, stamp).items():
            said = name in RunIdentity.IN_RECORDS or (
                loaded and not (name == "model loaded" and named_loaded)
            )
            if said:
                changes.setdefault(name, change)
    edited, gone = [], []
    for record in kept:
        current = content_now(record.problem_id)
        if current is None:
            if record.problem_id not in skipped:
                gone.append(record.problem_id)
        elif current != (record.identity or {}).get("problem"):
            edited.append(record.problem_id)
    if edited:
        changes["dataset content"] = f"{len(edited)} answered problem(s) changed ({_ids(edited)})"
    if gone:
        changes["dataset problems"] = (
            f"{len(gone)} answered problem(s) no longer in the dataset ({_ids(gone)})"
        )
    if changes:
        detail = "; ".join(f"{k}: {v}" for k, v in changes.items())
        raise UserError(
            f"{path}: was made with other settings ({detail}); "
            "use --no-resume to start over (the old file is kept), another --output-dir, or --name"
        )
