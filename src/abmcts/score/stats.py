"""Uncertainty for per-task scores: bootstrap intervals, paired tests, means over seeds.

On a few hundred tasks a difference of a handful of tasks is noise; every comparison the project
reports goes through these functions so the reader sees the interval, not just the point estimate.
Values are per-task scores in [0, 1] (1/0 for solved/unsolved, fractions for partial credit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval."""

    value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class PairedResult:
    """Difference mean(a) - mean(b) on the same tasks, its interval and a two-sided p-value."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str  # "mcnemar_exact" (both 0/1) or "paired_bootstrap"


def _as_vector(values: Sequence[float], what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{what}: expected a non-empty 1-d sequence of per-task scores")
    return array


def _bootstrap_means(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Means of `n_boot` resamples (with replacement) of `values`, drawn in chunks to bound memory."""
    rng = np.random.default_rng(seed)
    n, means, chunk = values.size, [], max(1, 4_000_000 // values.size)
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        means.append(values[idx].mean(axis=1))
    return np.concatenate(means)


def bootstrap_ci(
    values: Sequence[float], level: float = 0.95, n_boot: int = 10_000, seed: int = 0
) -> Interval:
    """Percentile bootstrap interval of the mean over tasks (deterministic under `seed`)."""
    array = _as_vector(values, "bootstrap_ci")
    means = _bootstrap_means(array, n_boot, seed)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return Interval(float(array.mean()), float(low), float(high))


def mcnemar_exact_p(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (binomial test at p = 1/2)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def paired_test(
    a: Sequence[float], b: Sequence[float], n_boot: int = 10_000, seed: int = 0, level: float = 0.95
) -> PairedResult:
    """Is mean(a) different from mean(b) on the same tasks?

    The interval is a paired bootstrap of the per-task differences. The p-value is McNemar's
    exact test when both vectors are 0/1 (the usual solved/unsolved case), else the paired
    bootstrap's (resampled differences recentred on zero, two-sided).
    """
    x, y = _as_vector(a, "paired_test a"), _as_vector(b, "paired_test b")
    if x.size != y.size:
        raise ValueError(f"paired_test: {x.size} scores against {y.size}; pair them by task first")
    diffs = x - y
    boot = _bootstrap_means(diffs, n_boot, seed)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    observed = float(diffs.mean())
    binary = np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all()
    if binary:
        p_value = mcnemar_exact_p(int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum()))
        method = "mcnemar_exact"
    else:
        centred = boot - observed
        p_value = float((np.sum(np.abs(centred) >= abs(observed) - 1e-12) + 1) / (n_boot + 1))
        method = "paired_bootstrap"
    return PairedResult(observed, float(low), float(high), min(1.0, p_value), method)


def seed_mean(values: Sequence[float], level: float = 0.95) -> Interval:
    """Mean over seeds with a Student-t interval (a single seed gives a zero-width interval)."""
    from scipy.stats import t

    array = _as_vector(values, "seed_mean")
    mean = float(array.mean())
    if array.size < 2:
        return Interval(mean, mean, mean)
    half = float(t.ppf(0.5 + level / 2.0, array.size - 1) * array.std(ddof=1) / math.sqrt(array.size))
    return Interval(mean, mean - half, mean + half)
