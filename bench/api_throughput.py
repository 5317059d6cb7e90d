"""API throughput: a SMMILE++-sized run against loopback servers with a fixed latency.

    .venv/bin/python bench/api_throughput.py [--problems 1038] [--latency 0.05] [--concurrency 32]

The servers run in a child process (the client keeps its interpreter to itself).
Generation: the same synthetic problems (ICL, with images) through inference's OpenAI backend at
concurrency 1 and N, side by side in one run; prints both generation phases, their ratio (goal:
>= 25x at N=32) and checks that both result files hold the same records. Judge: the N run's
results judged through the ollama backend at concurrency 1 and N, then re-run on the filled cache
(which must send 0 requests). Exit status 1 when outputs differ or the cached re-run sends anything.
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

from loopback import OllamaServer, OpenAIServer, Reply  # noqa: E402
from loopback.harness import comparable, records  # noqa: E402
from loopback.process import ServerProcess  # noqa: E402

from smmile.data import LoadedDataset  # noqa: E402
from smmile.judge import Judge, judge_texts  # noqa: E402
from smmile.judge_cache import JudgeCache  # noqa: E402
from smmile.models.api_common import ApiSettings  # noqa: E402
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


def generation(dataset: LoadedDataset, url: str, concurrency: int, out: Path) -> tuple[float, float, Path]:
    """Seconds of the generation phase, client CPU seconds of the whole run, the result file."""
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
    if summary.ok != len(dataset.problems):
        raise SystemExit(f"generation at concurrency {concurrency}: {summary.errors} error record(s)")
    return summary.elapsed_seconds, cpu, config.result_path


def judging(folder: Path, url: str, concurrency: int) -> tuple[float, int, dict]:
    results, _ = load_results(folder)
    texts = judge_texts(results)
    settings = ApiSettings(concurrency, temperature=None, max_tokens=None)
    backend = OllamaBackend("llama3.3", url, settings)
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=1038)
    parser.add_argument(
        "--latency", type=float, default=0.05, help="server latency per request (s); real APIs take seconds"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    n, c = args.problems, args.concurrency
    dataset = LoadedDataset(synthetic_problems(n), dataset_id="synthetic-smmile++", name="synthetic")
    status = 0
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(OpenAIServer, latency=args.latency) as server:
        tmp_path = Path(tmp)
        print(f"{n} problems, server latency {args.latency * 1000:.0f} ms, OpenAI backend, ICL with images")
        t1, _, path1 = generation(dataset, server.url + "/v1", 1, tmp_path / "c1")
        tn, cpu, pathn = generation(dataset, server.url + "/v1", c, tmp_path / f"c{c}")
        same = comparable(records(path1)) == comparable(records(pathn))
        ratio = t1 / tn
        print(f"  generation, concurrency 1:  {t1:7.2f} s  ({n / t1:7.1f} problems/s)")
        print(f"  generation, concurrency {c}: {tn:7.2f} s  ({n / tn:7.1f} problems/s)")
        verdict = "goal met" if ratio >= GOAL else "below the goal"
        print(f"  speed-up {ratio:.1f}x ({verdict}: >= {GOAL:.0f}x); outputs identical: {same}")
        per_request = cpu / n
        ceiling = (t1 / n) / max(per_request, args.latency / c)
        print(
            f"  client CPU {per_request * 1000:.2f} ms per problem (prompts, SDK, records): the speed-up this "
            f"machine allows at {args.latency * 1000:.0f} ms latency is about {ceiling:.0f}x"
        )
        status |= not same

        with ServerProcess(OllamaServer, latency=args.latency, reply=judge_reply) as judge_server:
            folders = {}
            for conc in (1, c):
                folder = tmp_path / f"judge{conc}"
                folder.mkdir()
                (folder / pathn.name).write_bytes(pathn.read_bytes())
                folders[conc] = folder
            j1, sent1, v1 = judging(folders[1], judge_server.url, 1)
            jn, sentn, vn = judging(folders[c], judge_server.url, c)
            before = judge_server.count
            jc, sentc, vc = judging(folders[c], judge_server.url, c)
            cached_requests = judge_server.count - before
        print(f"judge over the concurrency-{c} results ({sentn} prompts), ollama backend")
        print(f"  judge, concurrency 1:  {j1:7.2f} s")
        print(f"  judge, concurrency {c}: {jn:7.2f} s  (speed-up {j1 / jn:.1f}x)")
        print(
            f"  judge, cached re-run:  {jc:7.3f} s  (speed-up {j1 / jc:.0f}x; {cached_requests} requests sent)"
        )
        agree = v1 == vn == vc and sent1 == sentn
        print(f"  verdicts identical across the three runs: {agree}")
        status |= (not agree) or cached_requests != 0 or sentc != 0
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
