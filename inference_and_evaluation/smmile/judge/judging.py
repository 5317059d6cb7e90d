"""The LLM judge of PROTOCOL.md: its prompt, its verdict rule, and the `_evaluationllm.json`.

The judge reads each open-format record's question, true answer and generated answer; a reply of
exactly `1` is correct, exactly `0` incorrect, anything else incorrect and counted in
`llm_err_count`. Error records are never sent (they are wrong, and counted in `err_count`).
Requests run through an API backend (concurrent, retried) behind a sqlite cache, so a re-run on
unchanged results sends nothing.

A request that failed (no reply after its retries) is no verdict: its record stays unjudged, and
a result with unjudged records gets no score. Its `_evaluationllm.json` is written incomplete
(`"complete": false`, `accuracy` and `correct_examples` null, the verdicts so far under
`judged_accuracies`, the unjudged problems listed with the first error), so no table can print it
as a number; the next run judges only what is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from smmile.judge.cache import JudgeCache
from smmile.models.base import Backend, GenerationConfig
from smmile.models.registry import build
from smmile.progress import with_progress
from smmile.results.outputs import IncompleteJudgeEvaluation, JudgeEvaluation, JudgeInfo
from smmile.results.records import is_error
from smmile.scoring import MISSING, as_text, evaluation_json
from smmile.types import Message, Prompt, ResultRecord, Text

if TYPE_CHECKING:
    from smmile.models.api.backend import ApiSettings
    from smmile.results.reader import Result

JUDGE_PROMPT = (
    'A medical AI model is provided with an image and asked the question "{question}". '
    'The correct answer to this question is: "{answer}". '
    'The AI model outputs "{response}" as its response. '
    "Is the AI model correct? Please output your answer as a single digit, where 1 indicates that "
    "the AI model is correct and 0 indicates that the AI model is incorrect with respect to the "
    "correct answer. Do not provide anything other than the digit in your response."
)
# The strings pandas.read_csv reads as missing by default (its STR_NA_VALUES; the empty cell too):
# the authors' judge read its answers with pandas, so such an answer reached the judge as "nan".
PANDAS_NA_STRINGS: frozenset[str] = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
     "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip
JUDGE_BACKENDS = ("ollama", "openai")
JUDGE_GENERATION = GenerationConfig(temperature=None, max_new_tokens=None)  # as the paper: the server's
DEFAULT_JUDGE_MODEL = "llama3.3"


def as_read_by_pandas(value: object) -> str:
    """`value` as the authors' pandas read it back from their CSV: missing, empty or one of pandas'
    missing-value strings ("None", "NA", "null", ...) becomes `nan`; any other text is kept."""
    text = as_text(value)
    return MISSING if text in PANDAS_NA_STRINGS else text


def judge_prompt(record: ResultRecord) -> str:
    """The judge's prompt for one record (a missing field reads as `nan`, as in the paper).

    `{response}` is the generated answer as the authors' pandas read it (as_read_by_pandas), the
    same for their CSVs and for this project's JSONL records.
    """
    return JUDGE_PROMPT.format(
        question=as_text(record.final_question),
        answer=as_text(record.true_answer),
        response=as_read_by_pandas(record.generated_answer),
    )


def prompt_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """correct: the judge said `1`. well_formed: the reply was exactly `1` or `0`.
    failed: the request itself failed (no reply; not cached, retried by the next run), `error` why."""

    correct: bool
    well_formed: bool
    reply: str | None
    failed: bool = False
    error: str | None = None


def parse_verdict(reply: str | None) -> Verdict:
    """Exactly `1` -> correct, exactly `0` -> incorrect, anything else -> incorrect, malformed."""
    if reply == "1":
        return Verdict(True, True, reply)
    if reply == "0":
        return Verdict(False, True, reply)
    return Verdict(False, False, reply)


def verdict_code(verdict: Verdict) -> int | None:
    return int(verdict.correct) if verdict.well_formed else None


@dataclass
class JudgeRun:
    """The verdicts of one judging pass, by prompt hash, and where they came from."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    cached: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def verdict(self, text: str) -> Verdict | None:
        return self.verdicts.get(prompt_hash(text))


class Judge:
    """Judges prompts through `backend`, reading and filling the cache."""

    def __init__(self, backend: Backend, backend_name: str, model: str, cache: JudgeCache):
        self.backend = backend
        self.backend_name = backend_name
        self.model = model
        self.cache = cache

    def judge_all(
        self,
        texts: Iterable[str],
        progress: bool = False,
        before_sending: Callable[[int], None] | None = None,
    ) -> JudgeRun:
        """Verdicts of `texts`, from the cache or the backend. `before_sending(n)` is called
        once before the first of n requests (not at all when the cache holds every verdict)."""
        unique = {prompt_hash(t): t for t in texts}
        run = JudgeRun()
        for h, hit in self.cache.lookup(self.backend_name, self.model, unique).items():
            run.verdicts[h] = parse_verdict(hit.reply)
        run.cached = len(run.verdicts)
        todo = [(h, t) for h, t in unique.items() if h not in run.verdicts]
        if todo and before_sending is not None:
            before_sending(len(todo))
        prompts = [
            Prompt(f"judge-{h[:16]}", (Message("user", (Text(t),)),), profile="judge", task_format="open")
            for h, t in todo
        ]
        stream = with_progress(self.backend.stream(prompts), len(prompts), "judge", "prompt", progress)
        with closing(stream) as responses:  # a failure here stops the requests in flight at once
            for index, response in responses:
                h = todo[index][0]
                run.sent += 1
                if response.status != "ok" or response.text is None:
                    run.failed += 1
                    error = response.error or "no reply"
                    run.errors.append(error)
                    run.verdicts[h] = Verdict(False, False, None, failed=True, error=error)
                else:
                    verdict = parse_verdict(response.text)
                    self.cache.store(self.backend_name, self.model, h, response.text, verdict_code(verdict))
                    run.verdicts[h] = verdict
        return run


def judge_evaluation(
    result: Result, verdict_of: Callable[[str], Verdict | None], judge: JudgeInfo | None = None
) -> JudgeEvaluation | IncompleteJudgeEvaluation:
    """`<stem>_evaluationllm.json`: the EM JSON's keys (the published order) plus `llm_err_count`.

    Error records are wrong and counted in `err_count`; a reply that was not a verdict is wrong and
    counted in `llm_err_count`. A record whose request failed (or that has no verdict) is
    unjudged: the evaluation is then incomplete (`incomplete_evaluation`), with no score.
    """
    if result.key is None or not result.records:
        raise ValueError("a result without records cannot be judged")
    records = result.records
    verdicts: list[bool] = []
    llm_errors = 0
    unjudged: list[str] = []
    first_error: str | None = None
    for record in records:
        if is_error(record):
            verdicts.append(False)
            continue
        verdict = verdict_of(judge_prompt(record))
        if verdict is None or verdict.failed:
            unjudged.append(record.problem_id)
            first_error = first_error or (verdict.error if verdict else None) or "not judged"
            verdicts.append(False)
            continue
        verdicts.append(verdict.correct)
        llm_errors += not verdict.well_formed
    scored = evaluation_json(result, verdicts, "LLM", after_excluded={"llm_err_count": llm_errors})
    out = cast(JudgeEvaluation, scored)
    out["judge"] = {**(judge or {}), "failed_requests": len(unjudged)}
    if unjudged:
        return incomplete_evaluation(out, unjudged, first_error or "not judged")
    return out


def incomplete_evaluation(
    evaluation: JudgeEvaluation, unjudged: Sequence[str], first_error: str
) -> IncompleteJudgeEvaluation:
    """An evaluation with unjudged records: no accuracy, no correct count, no problem_accuracies
    (the verdicts so far go to `judged_accuracies`), and what is missing and why."""
    unjudged_set = set(unjudged)
    out: dict[str, Any] = {}
    for key, value in evaluation.items():
        if key == "correct_examples":
            out["complete"] = False
            out[key] = None
        elif key == "accuracy":
            out[key] = None
        elif key == "problem_accuracies":
            out["unjudged_count"] = len(unjudged)
            out["unjudged_examples"] = list(unjudged)
            out["first_error"] = first_error
            out["judged_accuracies"] = {p: v for p, v in value.items() if p not in unjudged_set}
        elif key != "incorrect_examples":
            out[key] = value
    return cast(IncompleteJudgeEvaluation, out)


def make_judge_backend(kind: str, model: str, base_url: str | None, settings: ApiSettings) -> Backend:
    """The judge's backend: ollama (`base_url` = its host) or any OpenAI-compatible server, asked
    with the server's sampling (JUDGE_GENERATION)."""
    if kind == "ollama":
        return build("ollama", model, base_url, settings, JUDGE_GENERATION)
    if kind == "openai":
        from smmile.models.openai_backend import OpenAIService

        return build("openai", model, OpenAIService.from_env(base_url), settings, JUDGE_GENERATION)
    raise ValueError(f"unknown judge backend {kind!r}; expected one of {', '.join(JUDGE_BACKENDS)}")


def judge_texts(results: Sequence[Result]) -> list[str]:
    """The prompts to judge: one per record that is not an error."""
    return [judge_prompt(r) for result in results for r in result.records if not is_error(r)]
