"""Bootstrap of per-row correctness: observed accuracy, bootstrap SD and a percentile interval."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import cast

import numpy as np

from smmile.results.outputs import Interval, PairedInterval


@dataclass(frozen=True)
class BootstrapResult:
    """Percentages: the observed accuracy, the SD of the bootstrap means, the 95% interval."""

    accuracy: float
    std: float
    ci_low: float
    ci_high: float
    n: int

    def as_dict(self) -> Interval:
        return cast(Interval, asdict(self))


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


@dataclass(frozen=True)
class PairedDifference:
    """`other` minus `base` in points over the same problems, with a paired bootstrap 95% interval."""

    base_accuracy: float
    accuracy: float
    diff: float
    ci_low: float
    ci_high: float
    n: int

    def as_dict(self) -> PairedInterval:
        return cast(PairedInterval, asdict(self))


def paired_bootstrap(
    base: np.ndarray, other: np.ndarray, n_boot: int = 1000, seed: int = 42
) -> PairedDifference:
    """Resample problems (the same index for both vectors), so the interval respects the pairing."""
    a, b = np.asarray(base, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("paired bootstrap needs two non-empty 1-D arrays of the same length")
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    rng = np.random.default_rng(seed)
    index = rng.integers(0, a.size, size=(n_boot, a.size))
    diffs = (b[index].mean(axis=1) - a[index].mean(axis=1)) * 100.0
    low, high = np.percentile(diffs, [2.5, 97.5])
    return PairedDifference(
        base_accuracy=float(a.mean() * 100.0),
        accuracy=float(b.mean() * 100.0),
        diff=float((b.mean() - a.mean()) * 100.0),
        ci_low=float(low),
        ci_high=float(high),
        n=int(a.size),
    )
