"""Per-problem randomness: every draw depends on (seed, problem_id, purpose) only.

So resume, sharding, concurrency and processing order never change a prompt or a baseline answer.
"""

from __future__ import annotations

import hashlib
import random


def problem_seed(seed: int, problem_id: str, purpose: str = "") -> int:
    digest = hashlib.sha256(f"{seed}\x1f{problem_id}\x1f{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def problem_rng(seed: int, problem_id: str, purpose: str = "") -> random.Random:
    """A private RNG for one problem and one purpose (e.g. "options", "random-baseline")."""
    return random.Random(problem_seed(seed, problem_id, purpose))
