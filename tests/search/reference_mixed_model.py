"""Slow reference sampler for the AB-MCTS-M model: uncollapsed Gibbs, vectorised over many chains.

Independent of the fast sampler's maths: alpha_j and mu by exact normal conditionals, the two scales
by random-walk Metropolis on their logs, many chains started from the prior. Used only in tests.
"""

from __future__ import annotations

import numpy as np

MU_SD, SA_SCALE, SY_SCALE = 0.2, 0.2, 0.3


def gibbs_predictive(
    groups: list[list[float]],
    prior_mean: float,
    seed: int,
    chains: int = 2000,
    iters: int = 1000,
    burn: int = 300,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior-predictive samples ``(samples, G)`` for each group and ``(samples,)`` for a new group."""
    rng = np.random.default_rng(seed)
    n = np.array([len(g) for g in groups], dtype=float)
    s = np.array([sum(g) for g in groups])
    ss = np.array([sum(x * x for x in g) for g in groups])
    n_tot = n.sum()
    mu = rng.normal(prior_mean, MU_SD, chains)
    sa = np.abs(rng.normal(0, SA_SCALE, chains)) + 1e-3
    sy = np.abs(rng.normal(0, SY_SCALE, chains)) + 1e-3
    alpha = mu[:, None] + sa[:, None] * rng.standard_normal((chains, len(groups)))

    def log_sa(x: np.ndarray) -> np.ndarray:
        dev = ((alpha - mu[:, None]) ** 2).sum(1)
        return -(x**2) / (2 * SA_SCALE**2) + np.log(x) - len(groups) * np.log(x) - dev / (2 * x**2)

    def log_sy(x: np.ndarray) -> np.ndarray:
        rss = (ss - 2 * alpha * s + n * alpha**2).sum(1)
        return -(x**2) / (2 * SY_SCALE**2) + np.log(x) - n_tot * np.log(x) - rss / (2 * x**2)

    ys, ynew = [], []
    for it in range(iters):
        prec = 1 / sa[:, None] ** 2 + n / sy[:, None] ** 2
        mean = (mu[:, None] / sa[:, None] ** 2 + s / sy[:, None] ** 2) / prec
        alpha = mean + rng.standard_normal(alpha.shape) / np.sqrt(prec)
        p = 1 / MU_SD**2 + len(groups) / sa**2
        mu = (prior_mean / MU_SD**2 + alpha.sum(1) / sa**2) / p + rng.standard_normal(chains) / np.sqrt(p)
        for _ in range(3):
            for which in ("sa", "sy"):
                cur = sa if which == "sa" else sy
                logp = log_sa if which == "sa" else log_sy
                prop = cur * np.exp(0.4 * rng.standard_normal(chains))
                accept = np.log(rng.random(chains)) < logp(prop) - logp(cur)
                if which == "sa":
                    sa = np.where(accept, prop, sa)
                else:
                    sy = np.where(accept, prop, sy)
        if it >= burn and it % 5 == 0:
            ys.append(alpha + sy[:, None] * rng.standard_normal(alpha.shape))
            ynew.append(mu + sa * rng.standard_normal(chains) + sy * rng.standard_normal(chains))
    return np.concatenate(ys), np.concatenate(ynew)


def choice_probabilities(candidates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """P(candidate k has the largest draw) when each candidate is drawn independently from its marginal."""
    shuffled = np.stack([rng.permutation(candidates[:, k]) for k in range(candidates.shape[1])], axis=1)
    return np.bincount(shuffled.argmax(1), minlength=candidates.shape[1]) / len(shuffled)
