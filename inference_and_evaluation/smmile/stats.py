"""Bootstrap of per-row correctness: observed accuracy, bootstrap SD and a percentile interval."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class BootstrapResult:
    """Percentages: the observed accuracy, the SD of the bootstrap means, the 95% interval."""

    accuracy: float
    std: float
    ci_low: float
    ci_high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def bootstrap(correct: np.ndarray, n_boot: int = 1000, seed: int = 42) -> BootstrapResult:
    """Resample the 0/1 vector `n_boot` times with replacement (one index matrix, no loop)."""
    values = np.asarray(correct)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("bootstrap needs a non-empty 1-D array of 0/1 values")
    if not np.isin(values, (0, 1)).all():
        raise ValueError("bootstrap needs 0/1 (or boolean) values")
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    values = values.astype(np.float64)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, values.size, size=(n_boot, values.size))
    means = values[index].mean(axis=1) * 100.0
    low, high = np.percentile(means, [2.5, 97.5])
    return BootstrapResult(
        accuracy=float(values.mean() * 100.0),
        std=float(means.std()),
        ci_low=float(low),
        ci_high=float(high),
        n=int(values.size),
    )
