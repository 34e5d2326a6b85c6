"""Conjugate score posteriors for AB-MCTS-A, drawn vectorised from sufficient statistics [n, sum, sumsq].

Keeping only sufficient statistics makes every update O(1) and the state JSON-safe.
Priors (as in the AB-MCTS paper): Normal-Inverse-Gamma (m=0, kappa=1, nu=1, tau^2=0.1) or Beta(0.5, 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

DISTS = ("gaussian", "beta")
NIG_M, NIG_KAPPA, NIG_NU, NIG_TAU2 = 0.0, 1.0, 1.0, 0.1
BETA_A, BETA_B = 0.5, 0.5

Stats = list[float]  # [n, sum, sumsq]


def empty() -> Stats:
    return [0, 0.0, 0.0]


def add(st: Stats, score: float, sign: int = 1) -> None:
    """Add (sign=+1) or remove (sign=-1) one observation in place."""
    st[0] += sign
    st[1] += sign * score
    st[2] += sign * score * score


def add_at(log: Any, stats: dict[str, Stats], key: str, score: float, sign: int = 1) -> None:
    """``add`` to ``stats[key]`` (created empty when missing), telling ``log`` (a ``SearchState``) first
    so a state that ``step`` left behind keeps its old value."""
    st = stats.get(key)
    if st is None:
        log.will_set(stats, key)
        st = stats[key] = empty()
    else:
        log.touch(st)
    add(st, score, sign)


def default_prior(dist: str) -> tuple[float, ...]:
    """Prior parameters: ``(m, kappa, nu, tau2)`` for "gaussian", ``(a, b)`` for "beta"."""
    return (BETA_A, BETA_B) if dist == "beta" else (NIG_M, NIG_KAPPA, NIG_NU, NIG_TAU2)


def draw(
    dist: str, stats: Sequence[Stats], rng: np.random.Generator, prior: Sequence[Any] | None = None
) -> np.ndarray:
    """One Thompson draw of the mean score for each statistics triple.

    ``prior``: parameters as in ``default_prior``, each a number or one value per triple.
    A few triples (the usual case) are drawn one by one: numpy's per-call overhead on tiny arrays
    is most of a search step. Both paths give the same numbers and leave the RNG in the same state.
    """
    if len(stats) <= _SCALAR_MAX:
        return _draw_scalar(dist, stats, rng, prior)
    arr = np.asarray(stats, dtype=float).reshape(-1, 3)
    n, s, ss = arr[:, 0], arr[:, 1], arr[:, 2]
    if dist == "beta":
        a, b = default_prior(dist) if prior is None else prior
        return rng.beta(a + s, b + n - s)
    m, kappa, nu, tau2 = default_prior(dist) if prior is None else prior
    safe_n = np.maximum(n, 1.0)
    mean = s / safe_n
    scatter = np.maximum(ss - s * mean, 0.0)
    kappa_n = kappa + n
    nu_n = nu + n
    m_n = (kappa * m + s) / kappa_n
    tau2_n = (nu * tau2 + scatter + n * kappa * (m - mean) ** 2 / kappa_n) / nu_n
    sigma2 = (nu_n * tau2_n / 2.0) / rng.gamma(nu_n / 2.0)
    drawn: np.ndarray = m_n + np.sqrt(sigma2 / kappa_n) * rng.standard_normal(len(n))
    return drawn


_SCALAR_MAX = 12


def _draw_scalar(
    dist: str, stats: Sequence[Stats], rng: np.random.Generator, prior: Sequence[Any] | None
) -> np.ndarray:
    """``draw`` element by element, in the order numpy's vectorised draws consume the RNG."""
    k = len(stats)
    params = default_prior(dist) if prior is None else prior
    cols = [p if isinstance(p, np.ndarray) else [p] * k for p in params]
    if dist == "beta":
        return np.array(
            [rng.beta(a + st[1], b + st[0] - st[1]) for st, a, b in zip(stats, *cols, strict=True)]
        )
    m_n, kappa_n, nu_n, tau2_n = [0.0] * k, [0.0] * k, [0.0] * k, [0.0] * k
    for i, (st, m, kappa, nu, tau2) in enumerate(zip(stats, *cols, strict=True)):
        n, s, ss = float(st[0]), float(st[1]), float(st[2])
        mean = s / max(n, 1.0)
        scatter = max(ss - s * mean, 0.0)
        kappa_n[i], nu_n[i] = kappa + n, nu + n
        m_n[i] = (kappa * m + s) / kappa_n[i]
        d = m - mean
        tau2_n[i] = (nu * tau2 + scatter + n * kappa * (d * d) / kappa_n[i]) / nu_n[i]
    gammas = [rng.gamma(v / 2.0) for v in nu_n]
    normals = rng.standard_normal(k)
    return np.array(
        [
            m_n[i] + math.sqrt(((nu_n[i] * tau2_n[i] / 2.0) / gammas[i]) / kappa_n[i]) * normals[i]
            for i in range(k)
        ]
    )


def describe(dist: str, st: Stats) -> str:
    """The posterior of one statistics triple under the default prior, as TreeQuest's pictures write it."""
    n, s, ss = float(st[0]), float(st[1]), float(st[2])
    if dist == "beta":
        return f"β({BETA_A + s:.3f}, {BETA_B + n - s:.3f})"
    mean = s / max(n, 1.0)
    kappa_n, nu_n = NIG_KAPPA + n, NIG_NU + n
    m_n = (NIG_KAPPA * NIG_M + s) / kappa_n
    d = NIG_M - mean
    tau2_n = (NIG_NU * NIG_TAU2 + max(ss - s * mean, 0.0) + n * NIG_KAPPA * d * d / kappa_n) / nu_n
    return f"𝒩({m_n:.3f}, σ²/{kappa_n:.3f}), σ² ~ χ⁻²({nu_n:.3f}, {tau2_n:.3f})"
