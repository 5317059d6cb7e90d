"""The shape of every JSON file the harness writes, in one place (the file names: `naming`).

Most are TypedDicts: plain dicts at run time, so the files are written by `json.dumps` as they
are built; a file's key order is its builder's. A key under a `total=False` class is present only
when its comment says so. A bootstrap's result is a dataclass, written through `as_dict()`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, TypedDict

# --- the scores of one result: `<stem>_evaluation.json`, `_evaluation_strict.json`, `_evaluationllm.json`


class _Scored(TypedDict):
    model: str
    inference_mode: str
    total_examples: int  # records scored, one per problem
    original_count: int  # records read, duplicates of a problem included
    excluded_count: int  # original_count - total_examples
    correct_examples: int
    accuracy: float  # percent
    err_count: int  # error records (failed generations), counted wrong
    problem_accuracies: dict[str, float]  # problem_id -> 100.0 or 0.0
    incorrect_examples: list[str]
    word_count: float  # mean words per generated answer
    metric: str  # "EM", "MCQA" or "LLM"


class Evaluation(_Scored, total=False):
    """`<stem>_evaluation.json` (exact match or MCQA) and `<stem>_evaluation_strict.json`."""

    ablation: str  # an ablation run's tag
    strict_match: bool  # EM: whether the raw strings were compared
    unreadable_count: int  # MCQA: replies no option could be read from (the two below)
    extraction_failed_count: int  # MCQA
    invalid_option_count: int  # MCQA


class JudgeInfo(TypedDict, total=False):
    """The judge a judge evaluation names (the authors' files name none)."""

    backend: str
    model: str
    failed_requests: int  # requests without a reply after their retries


class JudgeEvaluation(Evaluation):
    """`<stem>_evaluationllm.json` with every record judged: the EM keys (`llm_err_count` after
    `excluded_count`) and the judge."""

    llm_err_count: int  # replies that were neither `1` nor `0`, counted wrong
    judge: JudgeInfo


class _Unjudged(TypedDict):
    model: str
    inference_mode: str
    total_examples: int
    original_count: int
    excluded_count: int
    llm_err_count: int
    complete: bool  # always False
    correct_examples: None
    accuracy: None
    err_count: int
    unjudged_count: int
    unjudged_examples: list[str]
    first_error: str
    judged_accuracies: dict[str, float]  # the verdicts so far, problem_id -> 100.0 or 0.0
    word_count: float
    metric: str
    judge: JudgeInfo


class IncompleteJudgeEvaluation(_Unjudged, total=False):
    """`<stem>_evaluationllm.json` with records left unjudged (failed requests): no score."""

    ablation: str


# --- variance_analysis.py: `evaluation_results.json`, `ablations.json`, `icl_gain.json` ---------


@dataclass(frozen=True)
class _AsJson:
    def as_dict(self) -> dict[str, Any]:
        """The fields, as the JSON files hold them."""
        return asdict(self)


@dataclass(frozen=True)
class BootstrapResult(_AsJson):
    """A bootstrap over problems (points): the observed accuracy, the SD of the resampled means
    and their 95% interval, and n problems; as JSON, the first keys of a `Cell`."""

    accuracy: float
    std: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class PairedDifference(_AsJson):
    """`other` minus `base` over the same problems (points), with a paired bootstrap 95% interval;
    as JSON, what an `AblationCell` with a plain run holds."""

    base_accuracy: float
    accuracy: float
    diff: float
    ci_low: float
    ci_high: float
    n: int


class CellCaveats(TypedDict, total=False):
    """What a marked cell adds (`caveats.LEGEND`); a clean cell has none of these keys."""

    marks: list[str]
    caveats: list[str]  # one phrase per caveat
    expected_n: int | None  # the dataset's (or the run manifest's) problem count


class _CellKeys(TypedDict):
    accuracy: float  # `BootstrapResult`'s fields
    std: float
    ci_low: float
    ci_high: float
    n: int


class Cell(_CellKeys, CellCaveats, total=False):
    """One cell of `evaluation_results.json`: a model under one metric and mode."""

    mark: str  # LaTeX only, never written: math after the value (a new row of the paper comparison)


Cells = dict[str, dict[str, dict[str, Cell]]]
"""`evaluation_results.json`: model -> metric ("LLM", "EM", "EM strict", "MCQA") -> mode -> cell."""


class _AblationKeys(TypedDict):
    mode: str
    format: str
    accuracy: float
    n: int
    diff: float | None  # None: no plain run to compare with


class AblationCell(_AblationKeys, total=False):
    """An ablation run under one metric; with a plain run, its accuracy and the paired interval."""

    base_accuracy: float
    ci_low: float
    ci_high: float


AblationTable = dict[str, dict[str, dict[str, AblationCell]]]
"""`ablations.json`: model -> ablation tag -> metric -> cell."""

_GainKeys = TypedDict(
    "_GainKeys",
    {
        "gain": float,
        "ci_low": float,
        "ci_high": float,
        "n": int,
        "accuracy_0-shot": float,
        "accuracy_ICL": float,
        "relative_gain": float | None,  # percent of the 0-shot accuracy; None when that is 0
    },
)


class Gain(_GainKeys, total=False):
    """A model's ICL gain under one metric: ICL minus 0-shot (points) over the problems both have."""

    marks: list[str]  # the caveats of its two cells


Gains = dict[str, dict[str, Gain]]
"""model -> metric -> gain, in the paper's row order."""


class GainSelectionJSON(TypedDict):
    """The models the averages cover: `models` (None: every model with a gain) less `exclude`."""

    models: list[str] | None
    exclude: list[str]


class MeanOver(TypedDict):
    """A mean and the models it is taken over."""

    mean: float | None
    models: list[str]


class RelativeMean(MeanOver):
    """The mean relative gain; `undefined`: models left out for a 0-shot accuracy of 0."""

    undefined: list[str]


class GainAverage(TypedDict):
    """One metric's average gains over the selected models."""

    mean_gain: float
    models: int  # how many
    absolute: MeanOver
    relative: RelativeMean
    left_out: list[str]  # models with a gain that the selection leaves out


class GainDocument(TypedDict):
    """`icl_gain.json`."""

    gains: Gains
    selection: GainSelectionJSON
    averages: dict[str, GainAverage]


# --- stratify.py: `model_stratification_<em|llm|mcqa>.json` ------------------------------------

StratificationEntry = dict[str, dict[str, float]]
"""One row: `<flag>_accuracy` (percent), `<flag>_total`, `<flag>_correct` -> flag value -> number."""

Stratification = dict[str, StratificationEntry]
"""`model_stratification_<type>.json`: `<model>:<mode>` -> entry, in the paper's row order."""


# --- compare_paper.py: `paper_comparison.json` --------------------------------------------------


class ComparisonSummary(TypedDict):
    """How many cells agree with the paper, differ, or could not be compared (`paper_comparison.json`
    holds `paper_compare.Comparison`'s fields, this summary, and the `CellComparison`s)."""

    compared: int
    agree: int
    differ: int
    differ_explained_by_bootstrap: int
    agree_beyond_bootstrap: int
    incomplete: int
    paper_cells_not_in_folder: int
    new_models: list[str]


# --- a run's manifest: `result_<...>.manifest.json` --------------------------------------------


class Environment(TypedDict):
    """Where a run ran: package versions, Python, platform, host, git commit, the command line."""

    packages: dict[str, str | None]
    python: str
    platform: str
    host: str
    git_commit: str | None
    argv: list[str]


class ManifestDataset(TypedDict):
    """The dataset a run read."""

    name: str
    id: str
    revision: str | None
    content: str | None
    problems: int
    skipped_missing_images: dict[str, list[str]]


class _RunStart(TypedDict):
    started_at: str
    dataset_revision: str | None
    dataset_content: str | None
    model_path: str | None


class ManifestRun(_RunStart, total=False):
    """One invocation of a run (each resume adds one): its start, then how it ended."""

    finished_at: str
    elapsed_seconds: float
    attempted: int
    ok: int
    error: int
    invalid_characters_replaced: int
    stopped_by: str  # SIGINT or SIGTERM
    stopped_at: str


class RunCounts(TypedDict):
    """The selected problems' records after the run."""

    selected: int
    ok: int
    error: int


class _ManifestKeys(TypedDict):
    result_file: str
    identity: dict[str, Any]  # identity.RunIdentity, as JSON
    config: dict[str, Any]  # the run's config, secrets dropped
    backend: dict[str, Any]  # what the backend says of itself
    dataset: ManifestDataset
    seed: int
    shard: list[int] | None  # [K, N]
    expected_problems: list[str]
    environment: Environment
    started_at: str
    finished_at: str | None
    elapsed_seconds: float | None
    runs: list[ManifestRun]


class Manifest(_ManifestKeys, total=False):
    """`result_<...>.manifest.json`: what ran, on what, when, and how it went."""

    counts: RunCounts  # once the run has finished
