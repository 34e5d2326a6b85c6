"""Fast posterior predictive sampler for AB-MCTS-M's hierarchical model (numpy only).

Model (DESIGN.md section 3), groups j with observations y_ij:
    y_ij ~ N(alpha_j, sigma_y^2),  alpha_j ~ N(mu, sigma_a^2),
    mu ~ N(prior_mean, 0.2^2),  sigma_a ~ HalfNormal(0.2),  sigma_y ~ HalfNormal(0.3).
The likelihood depends on each group only through (n_j, sum_j, sumsq_j). Given the two scales,
alpha_j and mu integrate out in closed form, so the scales' posterior is evaluated on a fixed
log-spaced grid (prior x Jacobian x marginal likelihood); mu and alpha_j are then drawn exactly
from their conditional normals. Groups are bucketed by n_j (the marginal variance depends on n_j
only), so one fit costs O(distinct n_j x grid). The grid floor (1e-3) also regularises the
improper sigma_y -> 0 spike that exactly tied scores create (NUTS diverges there instead).

Thompson draws follow TreeQuest: each candidate (existing group, or a new group = GEN) gets its
own independent posterior-predictive draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MU_SD = 0.2
SA_SCALE = 0.2
SY_SCALE = 0.3
SA_GRID = np.exp(np.linspace(math.log(1e-3), math.log(5 * SA_SCALE), 48))
SY_GRID = np.exp(np.linspace(math.log(1e-3), math.log(5 * SY_SCALE), 96))


def _log_halfnormal_jacobian(x: np.ndarray, scale: float) -> np.ndarray:
    # log density of HalfNormal(scale) at x, times x (log-spaced grid cell width is proportional to x)
    return -0.5 * (x / scale) ** 2 + np.log(x)


_SA2 = (SA_GRID**2)[:, None]
_SY2 = (SY_GRID**2)[None, :]
_LOG_SY = np.log(SY_GRID)[None, :]
_LOG_PRIOR = (
    _log_halfnormal_jacobian(SA_GRID, SA_SCALE)[:, None]
    + _log_halfnormal_jacobian(SY_GRID, SY_SCALE)[None, :]
).ravel()
_SA_FLAT = np.broadcast_to(SA_GRID[:, None], (len(SA_GRID), len(SY_GRID))).ravel()
_SY_FLAT = np.broadcast_to(SY_GRID[None, :], (len(SA_GRID), len(SY_GRID))).ravel()


@dataclass(frozen=True)
class Fit:
    """Grid posterior of the scales plus the conditional normal of mu at every grid cell."""

    cdf: np.ndarray
    mu_mean: np.ndarray
    mu_sd: np.ndarray


def fit(n: np.ndarray, s: np.ndarray, ss: np.ndarray, prior_mean: float) -> Fit:
    """Posterior of (sigma_a, sigma_y, mu) given per-group sufficient statistics (all groups n >= 1)."""
    p0 = 1.0 / MU_SD**2
    log_post = _LOG_PRIOR.reshape(len(SA_GRID), len(SY_GRID)).copy()
    prec = np.full_like(log_post, p0)
    lin = np.full_like(log_post, p0 * prior_mean)
    quad = np.full_like(log_post, p0 * prior_mean**2)
    if len(n):
        ybar = s / n
        scatter = float(np.maximum(ss - s * ybar, 0.0).sum())
        log_post += -(n.sum() - len(n)) * _LOG_SY - scatter / (2.0 * _SY2)
        for u in np.unique(n):
            sel = n == u
            v = _SA2 + _SY2 / u
            w = 1.0 / v
            log_post -= 0.5 * int(sel.sum()) * np.log(v)
            prec += int(sel.sum()) * w
            lin += float(ybar[sel].sum()) * w
            quad += float((ybar[sel] ** 2).sum()) * w
    log_post += -0.5 * np.log(prec) - 0.5 * (quad - lin**2 / prec)
    flat = log_post.ravel()
    weights = np.exp(flat - flat.max())
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    return Fit(cdf=cdf, mu_mean=(lin / prec).ravel(), mu_sd=(1.0 / np.sqrt(prec)).ravel())


def predictive(
    f: Fit, n: np.ndarray, s: np.ndarray, rng: np.random.Generator, n_new: int, size: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Independent predictive draws: ``(size, groups)`` for existing groups, ``(size, n_new)`` for new ones."""
    g = len(n)
    k = size * (g + n_new)
    cell = np.minimum(np.searchsorted(f.cdf, rng.random(k), side="right"), len(f.cdf) - 1)
    z = rng.standard_normal((3, k))
    sa, sy = _SA_FLAT[cell], _SY_FLAT[cell]
    mu = f.mu_mean[cell] + f.mu_sd[cell] * z[0]
    out = np.empty(k)
    m = size * g
    if g:
        nn = np.tile(n, size)
        ss_ = np.tile(s, size)
        sa2, sy2 = sa[:m] ** 2, sy[:m] ** 2
        prec = 1.0 / sa2 + nn / sy2
        alpha = (mu[:m] / sa2 + ss_ / sy2) / prec + z[1, :m] / np.sqrt(prec)
        out[:m] = alpha + sy[:m] * z[2, :m]
    out[m:] = mu[m:] + sa[m:] * z[1, m:] + sy[m:] * z[2, m:]
    return out[:m].reshape(size, g), out[m:].reshape(size, n_new)
