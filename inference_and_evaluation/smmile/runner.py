"""One inference run: problems -> prompts -> backend -> result records, streamed to disk.

Re-running the same command resumes (ok records are kept, error records retried); `--shard K/N`
runs the problems of one shard into a file of its own.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from smmile.ablations import Ablation, apply_ablation, example_label
from smmile.data import LoadedDataset
from smmile.data.problems import context_facts
from smmile.data.validation import check_icl_examples
from smmile.errors import raise_if_stop_requested
from smmile.follow_up import with_follow_up
from smmile.models.base import Backend, GenerationConfig, LoadedModel
from smmile.progress import with_progress
from smmile.prompts import Profile, build_prompt, get_profile, select_option
from smmile.results.identity import RunIdentity, check_resume, dataset_content, shown_content
from smmile.results.manifest import environment, read_manifest, scrub, utc_now, write_manifest
from smmile.results.naming import ResultKey
from smmile.results.schema import plain_copy
from smmile.results.store import ResultStore, kept_records
from smmile.sharding import Shard, in_shard
from smmile.types import Problem, Prompt, Response, ResultRecord


@dataclass
class RunConfig:
    """Everything that decides what one run writes and where."""

    model: str
    inference_mode: str
    task_format: str
    output_dir: Path
    dataset_id: str = ""
    seed: int = 42
    protocol: str = "paper"
    profile: str | None = None  # the model id whose profile prompts this model (default: `model`)
    limit: int | None = None
    shard: Shard | None = None
    max_error_rate: float = 0.1
    resume: bool = True
    ablation: Ablation = field(default_factory=Ablation)
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # script-specific settings, for the manifest
    # Resolved once per run (unless given): the profile of `profile` (or `model`) under `protocol`,
    # and the generation settings the backend is built with (the profile's). The manifest's
    # "config" records the fields above, not these.
    prompting: Profile | None = field(default=None, repr=False, metadata={"recorded": False})
    generation: GenerationConfig | None = field(default=None, metadata={"recorded": False})

    def __post_init__(self) -> None:
        if self.prompting is None:
            self.prompting = get_profile(self.profile or self.model, self.protocol)
        if self.generation is None:
            self.generation = GenerationConfig.of(self.prompting)

    @property
    def recorded(self) -> dict[str, Any]:
        """The config as the manifest records it."""
        out = {
            f.name: plain_copy(getattr(self, f.name))
            for f in fields(self)
            if f.metadata.get("recorded", True)
        }
        out["output_dir"] = str(self.output_dir)
        return out

    @property
    def names(self) -> dict[str, Any]:
        """What names the run, as each record and the run identity carry it (beside its dataset)."""
        return {
            "model": self.model,
            "inference_mode": self.inference_mode,
            "task_format": self.task_format,
            "protocol": self.protocol,
            "profile": self.prompting.name,
            "seed": self.seed,
        }

    @property
    def key(self) -> ResultKey:
        return ResultKey(self.model, self.inference_mode, self.task_format, self.ablation.tag())

    @property
    def result_path(self) -> Path:
        return self.output_dir / self.key.file_name(self.shard)

    @property
    def manifest_path(self) -> Path:
        return self.output_dir / self.key.manifest_name(self.shard)


@dataclass
class RunSummary:
    path: Path
    selected: int
    already_done: int
    attempted: int
    ok: int
    errors: int
    elapsed_seconds: float
    notes: list[str] = field(default_factory=list)
    replaced_characters: int = 0  # lone surrogates replaced by U+FFFD in the records written now
    common_error: tuple[int, str] | None = None  # (how many, message) of the most common error

    @property
    def error_rate(self) -> float:
        """Share of the selected problems whose record is an error after this run."""
        return self.errors / self.selected if self.selected else 0.0


def select_problems(problems: Sequence[Problem], limit: int | None, shard: Shard | None) -> list[Problem]:
    """The first `limit` problems (by id), then those of the shard."""
    chosen = sorted(problems, key=lambda p: p.problem_id)
    if limit is not None:
        chosen = chosen[:limit]
    return [p for p in chosen if in_shard(p.problem_id, shard)]


def problems_to_run(config: RunConfig, dataset: LoadedDataset) -> list[Problem]:
    """The problems a run selects; under ICL, one without in-context examples is refused (one line),
    never run 0-shot. Checked before a model is loaded or a request sent."""
    problems = select_problems(dataset.problems, config.limit, config.shard)
    if config.inference_mode == "ICL":
        check_icl_examples(problems, dataset.dataset_id or dataset.name)
    return problems


def shown_problem(
    problem: Problem, config: RunConfig, pool: Sequence[Problem]
) -> tuple[Problem, dict[str, Any]]:
    """The problem as the model sees it: no examples in 0-shot; the ablation's examples in ICL."""
    if config.inference_mode != "ICL":
        return Problem(problem.problem_id, (), problem.query, problem.metadata, problem.dataset), {}
    applied = apply_ablation(problem, config.ablation, pool, config.seed)
    return applied.problem, applied.notes


def make_record(
    config: RunConfig,
    shown: Problem,
    prompt: Prompt | None,
    response: Response,
    notes: dict[str, Any] | None = None,
) -> ResultRecord:
    """Turn a response into the result record (MCQA: the profile's extractor picks the option).

    `shown` is the problem as the prompt showed it (0-shot: no examples; ablations applied).
    """
    ablation = config.ablation.describe()
    record = ResultRecord(
        problem_id=shown.problem_id,
        final_question=shown.query.question,
        true_answer=shown.query.answer,
        full_response=response.text,
        **config.names,
        dataset=config.dataset_id,
        ablation={**ablation, **(notes or {})} if ablation else None,
        examples_seen=[example_label(shown, t) for t in shown.examples],
        metadata=context_facts(shown),
        status=response.status,
        error=response.error,
        latency_s=round(response.latency_s, 4),
        usage=response.usage or None,
        finished_at=utc_now(),
    )
    if prompt is not None and prompt.mcqa is not None:
        record.options = dict(prompt.mcqa.options)
        record.correct_option = prompt.mcqa.correct_option
    if response.status != "ok":
        return record
    if prompt is not None and prompt.mcqa is not None:
        selected, text, correct = select_option(response.text, prompt.mcqa, config.prompting.extractor)
        record.selected_option, record.generated_answer, record.is_correct = selected, text, correct
    else:
        record.generated_answer = (response.text or "").strip()
    return record


def run_identity(config: RunConfig, dataset: LoadedDataset, backend: Backend | None) -> RunIdentity:
    """The identity of the records this run writes; what was loaded and the generation settings
    come from the (loaded) backend, and are left unknown without one."""
    loaded = backend.loaded() if backend is not None else LoadedModel()
    return RunIdentity(
        **config.names,
        dataset_id=config.dataset_id,
        ablation=config.ablation.describe(),
        model_source=loaded.source,
        model_revision=loaded.revision,
        model_config=loaded.config,
        generation=backend.generation() if backend is not None else {},
        model_path=loaded.path,
        dataset_revision=dataset.revision,
        dataset_content=dataset_content(dataset.problems),
    )


def check_before_loading(config: RunConfig, dataset: LoadedDataset) -> None:
    """The resume check of everything known before the model is loaded (all but what was loaded
    and how it generates), so a changed seed or dataset is refused before minutes of loading."""
    if config.resume and config.result_path.exists():
        identity = run_identity(config, dataset, None)
        check_resumable(config, identity, dataset, kept_records(config.result_path), loaded=False)


def check_resumable(
    config: RunConfig,
    identity: RunIdentity,
    dataset: LoadedDataset,
    records: dict[str, ResultRecord],
    loaded: bool = True,
) -> None:
    """Refuse to add to a result whose kept records were made with another identity (`loaded`:
    whether the identity knows what was loaded and the generation settings)."""
    if not config.resume:
        return
    by_id = {p.problem_id: p for p in dataset.problems}

    def content_now(problem_id: str) -> str | None:
        problem = by_id.get(problem_id)
        if problem is None:
            return None
        try:
            return shown_content(problem, shown_problem(problem, config, dataset.problems)[0])
        except ValueError:  # the ablation cannot be applied now: it cannot match the record either
            return ""

    check_resume(
        config.result_path,
        identity,
        read_manifest(config.manifest_path),
        records,
        content_now,
        set(dataset.skipped),
        loaded,
    )


def run_model(config: RunConfig, dataset: LoadedDataset, backend: Backend) -> RunSummary:
    """Run one model over the selected problems, appending a record per problem as it finishes."""
    profile = config.prompting
    problems = problems_to_run(config, dataset)
    identity = run_identity(config, dataset, backend)
    manifest = read_manifest(config.manifest_path) if config.resume else None
    started = utc_now()
    with ResultStore(config.result_path, config.resume, (config.manifest_path,)) as store:
        check_resumable(config, identity, dataset, store.records)
        todo = [p for p in problems if p.problem_id not in store.done]
        already = len(problems) - len(todo)
        prompts: list[tuple[Problem, Problem, Prompt, dict[str, Any]]] = []

        def append(problem: Problem, shown: Problem, record: ResultRecord) -> None:
            record.identity = identity.stamp(shown_content(problem, shown))
            store.append(record)

        for problem in todo:
            try:
                shown, notes = shown_problem(problem, config, dataset.problems)
                prompt = build_prompt(
                    shown,
                    config.inference_mode,
                    config.task_format,
                    profile,
                    config.seed,
                    options_problem=problem,
                )
            except ValueError as exc:  # e.g. more options than letters: an error record, never a guess
                failure = Response.failure(f"prompt: {exc}")
                append(problem, problem, make_record(config, problem, None, failure))
                continue
            prompts.append((problem, shown, prompt, notes))
        manifest = _manifest(config, identity, dataset, backend, problems, manifest, started)
        write_manifest(config.manifest_path, manifest)

        t0 = time.perf_counter()
        responses = iter(backend.stream([p for _, _, p, _ in prompts]))
        stream = with_progress(responses, len(prompts), config.key.stem, "problem", config.progress)
        try:
            for index, response in stream:
                problem, shown, prompt, notes = prompts[index]
                response = with_follow_up(backend, profile, prompt, response)  # text-only MCQA: F1
                append(problem, shown, make_record(config, shown, prompt, response, notes))
                raise_if_stop_requested()
            raise_if_stop_requested()
        except KeyboardInterrupt as exc:  # SIGINT / SIGTERM: the manifest says the run was stopped
            signum = getattr(exc, "signum", signal.SIGINT)
            manifest["runs"][-1].update(stopped_by=signal.Signals(signum).name, stopped_at=utc_now())
            write_manifest(config.manifest_path, manifest)
            raise
        finally:  # a failed write or a signal stops the requests in flight at once
            stream.close()
        elapsed = time.perf_counter() - t0
        records = store.records
        notes = list(store.notes)
        replaced = store.replaced_characters
        if store.replaced_characters:
            notes.append(
                f"{config.result_path}: {store.replaced_characters} character(s) that UTF-8 cannot store "
                f"(lone surrogates) replaced by U+FFFD in {len(store.replaced_in)} record(s), e.g. problem "
                f"{store.replaced_in[0]}; counted in each record's invalid_characters_replaced"
            )

    selected_ids = {p.problem_id for p in problems}
    ok = sum(1 for pid, r in records.items() if pid in selected_ids and r.status == "ok")
    failures = Counter(
        r.error or "no message" for pid, r in records.items() if pid in selected_ids and r.status != "ok"
    )
    errors = sum(failures.values())
    summary = RunSummary(
        config.result_path, len(problems), already, len(todo), ok, errors, elapsed, notes, replaced
    )
    if failures:
        message, count = failures.most_common(1)[0]
        summary.common_error = (count, message)
    manifest["backend"] = scrub(backend.describe())  # what the run learnt (e.g. images it resized)
    manifest["finished_at"] = utc_now()
    manifest["elapsed_seconds"] = round(elapsed, 3)
    manifest["counts"] = {"selected": len(problems), "ok": ok, "error": errors}
    manifest["runs"][-1].update(
        finished_at=manifest["finished_at"],
        elapsed_seconds=round(elapsed, 3),
        attempted=len(todo),
        ok=ok,
        error=errors,
        invalid_characters_replaced=replaced,
    )
    write_manifest(config.manifest_path, manifest)
    return summary


def _manifest(
    config: RunConfig,
    identity: RunIdentity,
    dataset: LoadedDataset,
    backend: Backend,
    problems: Sequence[Problem],
    previous: dict[str, Any] | None,
    started: str,
) -> dict[str, Any]:
    runs = list((previous or {}).get("runs", []))
    runs.append(
        {
            "started_at": started,
            "dataset_revision": identity.dataset_revision,
            "dataset_content": identity.dataset_content,
            "model_path": identity.model_path,
        }
    )
    return {
        "result_file": config.result_path.name,
        "identity": identity.to_json(),
        "config": scrub(config.recorded),
        "backend": scrub(backend.describe()),
        "dataset": {
            "name": dataset.name,
            "id": dataset.dataset_id,
            "revision": dataset.revision,
            "content": identity.dataset_content,
            "problems": len(dataset.problems),
            "skipped_missing_images": dataset.skipped,
        },
        "seed": config.seed,
        "shard": list(config.shard) if config.shard else None,
        "expected_problems": [p.problem_id for p in problems],
        "environment": environment(),
        "started_at": (previous or {}).get("started_at", started),
        "finished_at": None,
        "elapsed_seconds": None,
        "runs": runs,
    }
