"""Shards: problem K of N is the one whose sha256(problem_id) mod N equals K."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from smmile.errors import UserError

Shard = tuple[int, int]


def in_shard(problem_id: str, shard: Shard | None) -> bool:
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(problem_id.encode("utf-8")).hexdigest(), 16) % n == k


def parse_shard(text: str) -> Shard:
    """`K/N` with 0 <= K < N."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise UserError(f"--shard {text!r}: expected K/N, e.g. 0/4") from None
    if n < 1 or not 0 <= k < n:
        raise UserError(f"--shard {text!r}: need 0 <= K < N")
    return k, n


def shard_from_env(env: Mapping[str, str] | None = None) -> Shard | None:
    """The shard of a SLURM array task (SLURM_ARRAY_TASK_ID / _COUNT, counted from _MIN), if any."""
    env = os.environ if env is None else env
    task, count = env.get("SLURM_ARRAY_TASK_ID"), env.get("SLURM_ARRAY_TASK_COUNT")
    if not task or not count:
        return None
    try:
        k = int(task) - int(env.get("SLURM_ARRAY_TASK_MIN", "0") or 0)
        n = int(count)
    except ValueError:
        raise UserError(
            f"SLURM_ARRAY_TASK_ID={task!r} / SLURM_ARRAY_TASK_COUNT={count!r}: not integers"
        ) from None
    if n < 1 or not 0 <= k < n:
        raise UserError(
            f"SLURM array task {task} (min {env.get('SLURM_ARRAY_TASK_MIN', '0')}) of {count}: out of range"
        )
    return k, n
