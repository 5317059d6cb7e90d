"""Bootstrap of per-row correctness: observed accuracy, bootstrap SD and a percentile interval.

The results are `outputs.BootstrapResult` and `outputs.PairedDifference`, as the tables write them.
"""

from __future__ import annotations

import numpy as np

from smmile.results.outputs import BootstrapResult, PairedDifference


def _resamples(size: int, n_boot: int, seed: int) -> np.ndarray:
    """`n_boot` rows of `size` indices drawn with replacement (one index matrix, no loop)."""
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    return np.random.default_rng(seed).integers(0, size, size=(n_boot, size))


def _interval(samples: np.ndarray) -> tuple[float, float]:
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high)


def bootstrap(correct: np.ndarray, n_boot: int = 1000, seed: int = 42) -> BootstrapResult:
    """Resample the 0/1 vector `n_boot` times with replacement."""
    values = np.asarray(correct)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("bootstrap needs a non-empty 1-D array of 0/1 values")
    if not np.isin(values, (0, 1)).all():
        raise ValueError("bootstrap needs 0/1 (or boolean) values")
    values = values.astype(np.float64)
    means = values[_resamples(values.size, n_boot, seed)].mean(axis=1) * 100.0
    low, high = _interval(means)
    return BootstrapResult(float(values.mean() * 100.0), float(means.std()), low, high, int(values.size))


def paired_bootstrap(
    base: np.ndarray, other: np.ndarray, n_boot: int = 1000, seed: int = 42
) -> PairedDifference:
    """Resample problems (the same index for both vectors), so the interval respects the pairing."""
    a, b = np.asarray(base, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("paired bootstrap needs two non-empty 1-D arrays of the same length")
    index = _resamples(a.size, n_boot, seed)
    low, high = _interval((b[index].mean(axis=1) - a[index].mean(axis=1)) * 100.0)
    return PairedDifference(
        base_accuracy=float(a.mean() * 100.0),
        accuracy=float(b.mean() * 100.0),
        diff=float((b.mean() - a.mean()) * 100.0),
        ci_low=low,
        ci_high=high,
        n=int(a.size),
    )
