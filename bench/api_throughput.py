"""API throughput and fault tolerance: SMMILE++-sized runs against loopback servers.

    .venv/bin/python bench/api_throughput.py [--problems 1038] [--latency 0.1] [--concurrency 32]
        [--fault-rate 0.3] [--no-judge]

The servers run in a child process (the client keeps its interpreter to itself).
Faults: one run of the synthetic problems through inference's OpenAI backend at concurrency N
against a server where 30% of requests fail (429 with retry-after, 500, 503, or a 200 whose body
is not JSON); prints the share of problems answered after that one run (goal: all of them).
Generation: the same problems without faults at concurrency 1 and N, side by side; prints both
generation phases, their ratio (goal: >= 25x at N=32 and 100 ms latency) and checks that both
result files hold the same records (and the same as the faulty run's). Judge: the N run's results
judged through the ollama backend at concurrency 1 and N, then re-run on the filled cache (which
must send 0 requests). Exit status 1 when a problem is left unanswered, outputs differ or the
cached re-run sends anything.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "inference_and_evaluation"), str(ROOT / "tests")]

from loopback import Fault, OllamaServer, OpenAIServer, Reply  # noqa: E402
from loopback.harness import comparable, records  # noqa: E402
from loopback.process import ServerProcess  # noqa: E402

from smmile.data import LoadedDataset  # noqa: E402
from smmile.judge.cache import JudgeCache  # noqa: E402
from smmile.judge.judging import JUDGE_GENERATION, Judge, judge_texts  # noqa: E402
from smmile.models.api.backend import ApiSettings  # noqa: E402
from smmile.models.ollama_backend import OllamaBackend  # noqa: E402
from smmile.models.openai_backend import OpenAIBackend, OpenAIService  # noqa: E402
from smmile.results.reader import load_results  # noqa: E402
from smmile.runner import RunConfig, run_model  # noqa: E402
from smmile.types import ImageRef, Problem, Triplet  # noqa: E402

GOAL = 25.0


def synthetic_problems(n: int, seed: int = 0) -> list[Problem]:
    """`n` problems like SMMILE++'s: 2-5 examples each, small PNG images from a shared pool."""
    from PIL import Image

    rng = random.Random(seed)
    pool = []
    for _ in range(300):
        img = Image.frombytes("RGB", (32, 32), bytes(rng.randrange(256) for _ in range(32 * 32 * 3)))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        pool.append(ImageRef.from_bytes(buf.getvalue()))
    problems = []
    for i in range(n):
        pid = f"{uuid.UUID(int=rng.getrandbits(128))}_perm_{i % 10}"
        k = rng.randint(2, 5)
        triplets = [
            Triplet(
                pid, j, f"Question {i}.{j}: what is shown?", f"Answer {rng.randint(0, 3)}.", rng.choice(pool)
            )
            for j in range(k + 1)
        ]
        problems.append(Problem(pid, tuple(triplets[:-1]), triplets[-1], {"speciality": "radiology"}))
    return problems


# The reported mix: a rate limit asking to wait, two server errors, a reply whose body is cut short.
FAULT_MIX = (
    Fault(429, headers={"retry-after": "1"}),
    Fault(500),
    Fault(503),
    Fault(200, body=b'{"id": "chatcmpl-1", "choices": [{"message": {"content": "cut'),
)


def generation(
    dataset: LoadedDataset, url: str, concurrency: int, out: Path, allow_errors: bool = False
) -> tuple[float, float, Path, int]:
    """Seconds of the generation phase, client CPU seconds of the whole run, the result file and
    the number of problems answered."""
    config = RunConfig(
        model="gpt-4o",
        inference_mode="ICL",
        task_format="open",
        output_dir=out,
        dataset_id=dataset.dataset_id,
        progress=False,
    )
    backend = OpenAIBackend(
        "gpt-4o", OpenAIService("compatible", "EMPTY", base_url=url), ApiSettings(concurrency)
    )
    cpu = time.process_time()
    summary = run_model(config, dataset, backend)
    cpu = time.process_time() - cpu
    if summary.ok != len(dataset.problems) and not allow_errors:
        raise SystemExit(f"generation at concurrency {concurrency}: {summary.errors} error record(s)")
    return summary.elapsed_seconds, cpu, config.result_path, summary.ok


def judging(folder: Path, url: str, concurrency: int) -> tuple[float, int, dict]:
    results, _ = load_results(folder)
    texts = judge_texts(results)
    backend = OllamaBackend("llama3.3", url, ApiSettings(concurrency), JUDGE_GENERATION)
    with JudgeCache.in_folder(folder) as cache:
        start = time.perf_counter()
        run = Judge(backend, "ollama", "llama3.3", cache).judge_all(texts)
        elapsed = time.perf_counter() - start
    if run.failed:
        raise SystemExit(
            f"judge at concurrency {concurrency}: {run.failed} failed request(s): {run.errors[0]}"
        )
    return elapsed, run.sent, {h: v.correct for h, v in run.verdicts.items()}


def judge_reply(request) -> Reply:
    return Reply("1" if sum(request.body) % 3 else "0")  # deterministic per prompt


def faults(dataset: LoadedDataset, args: argparse.Namespace, out: Path) -> tuple[int, Path]:
    """One run with `--fault-rate` of requests failing: the problems answered, the result file."""
    n, c = len(dataset.problems), args.concurrency
    kwargs = {"latency": args.latency, "fault_rate": args.fault_rate, "fault_mix": FAULT_MIX, "seed": 12}
    with ServerProcess(OpenAIServer, **kwargs) as server:
        elapsed, _, path, answered = generation(dataset, server.url + "/v1", c, out, allow_errors=True)
        sent, injected = server.count, server.faults_injected
    print(
        f"faults: {args.fault_rate:.0%} of requests fail (429 with retry-after 1 s, 500, 503, a 200 whose "
        f"body is not JSON), concurrency {c}"
    )
    verdict = "goal met" if answered == n else "below the goal"
    print(
        f"  answered after one run: {answered}/{n} ({answered / n:.1%}; {verdict}: all) in {elapsed:.1f} s; "
        f"{sent} requests, {injected} faults injected ({injected / sent:.1%})"
    )
    return answered, path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=1038)
    parser.add_argument(
        "--latency", type=float, default=0.1, help="server latency per request (s); real APIs take seconds"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--fault-rate", type=float, default=0.3, help="share of requests that fail")
    parser.add_argument("--no-judge", dest="judge", action="store_false", help="skip the judge phases")
    args = parser.parse_args(argv)
    n, c = args.problems, args.concurrency
    dataset = LoadedDataset(synthetic_problems(n), dataset_id="synthetic-smmile++", name="synthetic")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        print(f"{n} problems, server latency {args.latency * 1000:.0f} ms, OpenAI backend, ICL with images")
        answered, faulty = faults(dataset, args, tmp_path / "faults")
        status |= answered != n
        with ServerProcess(OpenAIServer, latency=args.latency) as server:
            t1, _, path1, _ = generation(dataset, server.url + "/v1", 1, tmp_path / "c1")
            tn, cpu, pathn, _ = generation(dataset, server.url + "/v1", c, tmp_path / f"c{c}")
        same = comparable(records(path1)) == comparable(records(pathn))
        same_as_faulty = comparable(records(pathn)) == comparable(records(faulty))
        ratio = t1 / tn
        print("no faults:")
        print(f"  generation, concurrency 1:  {t1:7.2f} s  ({n / t1:7.1f} problems/s)")
        print(f"  generation, concurrency {c}: {tn:7.2f} s  ({n / tn:7.1f} problems/s)")
        verdict = "goal met" if ratio >= GOAL else "below the goal"
        print(f"  speed-up {ratio:.1f}x ({verdict}: >= {GOAL:.0f}x); outputs identical: {same}")
        print(f"  the faulty run's records equal these: {same_as_faulty}")
        per_request = cpu / n
        ceiling = (t1 / n) / max(per_request, args.latency / c)
        print(
            f"  client CPU {per_request * 1000:.2f} ms per problem (prompts, SDK, records): the speed-up this "
            f"machine allows at {args.latency * 1000:.0f} ms latency is about {ceiling:.0f}x"
        )
        status |= not same or (answered == n and not same_as_faulty)
        if args.judge:
            status |= judge_phases(tmp_path, pathn, args)
    return int(status)


def judge_phases(tmp_path: Path, results: Path, args: argparse.Namespace) -> bool:
    """The judge at concurrency 1 and N, then on the filled cache; True when something is wrong."""
    c = args.concurrency
    with ServerProcess(OllamaServer, latency=args.latency, reply=judge_reply) as judge_server:
        folders = {}
        for conc in (1, c):
            folder = tmp_path / f"judge{conc}"
            folder.mkdir()
            (folder / results.name).write_bytes(results.read_bytes())
            folders[conc] = folder
        j1, sent1, v1 = judging(folders[1], judge_server.url, 1)
        jn, sentn, vn = judging(folders[c], judge_server.url, c)
        before = judge_server.count
        jc, sentc, vc = judging(folders[c], judge_server.url, c)
        cached_requests = judge_server.count - before
    print(f"judge over the concurrency-{c} results ({sentn} prompts), ollama backend")
    print(f"  judge, concurrency 1:  {j1:7.2f} s")
    print(f"  judge, concurrency {c}: {jn:7.2f} s  (speed-up {j1 / jn:.1f}x)")
    print(f"  judge, cached re-run:  {jc:7.3f} s  (speed-up {j1 / jc:.0f}x; {cached_requests} requests sent)")
    agree = v1 == vn == vc and sent1 == sentn
    print(f"  verdicts identical across the three runs: {agree}")
    return (not agree) or cached_requests != 0 or sentc != 0


if __name__ == "__main__":
    sys.exit(main())
