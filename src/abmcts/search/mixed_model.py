"""Fast posterior predictive sampler for AB-MCTS-M's hierarchical model (numpy only).

Model (DESIGN.md section 3), groups j with observations y_ij:
    y_ij ~ N(alpha_j, sigma_y^2),  alpha_j ~ N(mu, sigma_a^2),
    mu ~ N(prior_mean, 0.2^2),  sigma_a ~ HalfNormal(0.2),  sigma_y ~ HalfNormal(0.3).
The likelihood depends on each group only through (n_j, sum_j, sumsq_j). Given the two scales,
alpha_j and mu integrate out in closed form, so the scales' posterior is evaluated on a fixed
log-spaced grid (prior x Jacobian x marginal likelihood); mu and alpha_j are then drawn exactly
from their conditional normals. The grid floor (1e-3) also regularises the improper
sigma_y -> 0 spike that exactly tied scores create (NUTS diverges there instead).

Speed: the sigma_a grid step is exactly twice the sigma_y step, so every per-group term depends on
the cell only through sigma_a^2 and the ratio (sigma_y / sigma_a)^2, which takes just 186 distinct
values (diagonals of the grid). Per-group work is therefore done on those 186 diagonals; the
46 x 96 grid is then filled by a few whole-array operations on a strided view (no Python loop,
cost independent of the number of groups).

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
_FLOOR = 1e-3
_N_SY, _N_SA = 96, 46
_STEP = math.log(5 * SY_SCALE / _FLOOR) / (_N_SY - 1)  # log step of the sigma_y grid
SY_GRID = np.exp(math.log(_FLOOR) + _STEP * np.arange(_N_SY))
# descending, step 2 * _STEP, from ~1.02 (5 prior sd) down to the floor: row r, column c lies on
# diagonal d = c + 2r, where log(sigma_y / sigma_a) = _STEP * (d - 2 * (_N_SA - 1))
SA_GRID = np.exp(math.log(_FLOOR) + 2 * _STEP * np.arange(_N_SA - 1, -1, -1))
_N_DIAG = _N_SY + 2 * (_N_SA - 1)
_RATIO2 = np.exp(2 * _STEP * (np.arange(_N_DIAG) - 2 * (_N_SA - 1)))  # (sigma_y / sigma_a)^2


def _log_halfnormal_jacobian(x: np.ndarray, scale: float) -> np.ndarray:
    # log density of HalfNormal(scale) at x, times x (log-spaced grid cell width is proportional to x)
    return -0.5 * (x / scale) ** 2 + np.log(x)


_SA2 = SA_GRID**2
_INV_SA2 = (1.0 / _SA2)[:, None]
_LOG_SA = np.log(SA_GRID)
_LOG_SY = np.log(SY_GRID)
_HALF_INV_SY2 = 0.5 / SY_GRID**2
_PRIOR_SA = _log_halfnormal_jacobian(SA_GRID, SA_SCALE)
_PRIOR_SY = _log_halfnormal_jacobian(SY_GRID, SY_SCALE)
_P0 = 1.0 / MU_SD**2
_SA2_P0 = (_SA2 * _P0)[:, None]


_SA_FLAT = np.repeat(SA_GRID, _N_SY)
_SA2_FLAT = _SA_FLAT**2
_SY_FLAT = np.tile(SY_GRID, _N_SA)
_SY2_FLAT = _SY_FLAT**2
_DIAG_FLAT = (np.arange(_N_SY)[None, :] + 2 * np.arange(_N_SA)[:, None]).ravel()


def _diagonal_view(a: np.ndarray) -> np.ndarray:
    """``(k, 186)`` contiguous array -> ``(k, 46, 96)`` view (never written) with ``[k, r, c] = a[k, c + 2r]``."""
    s = a.strides
    return np.ndarray((a.shape[0], _N_SA, _N_SY), a.dtype, a, 0, (s[0], 2 * s[1], s[1]))


@dataclass(frozen=True)
class Fit:
    """Grid posterior of the scales (CDF over the flattened cells) and, per grid diagonal d, what fixes
    mu's conditional normal: ``prec = x / sa^2`` and ``mean = prior_mean + ld[d] / x`` with
    ``x = sa^2 / 0.2^2 + pd[d]``.
    """

    cdf: np.ndarray
    pd: np.ndarray
    ld: np.ndarray
    prior_mean: float


def fit(n: np.ndarray, s: np.ndarray, ss: np.ndarray, prior_mean: float) -> Fit:
    """Posterior of (sigma_a, sigma_y, mu) given per-group sufficient statistics (n: whole numbers >= 1)."""
    n = np.asarray(n, dtype=float)
    g = len(n)
    row = _PRIOR_SA + (1 - g) * _LOG_SA
    col = _PRIOR_SY
    diag = np.zeros((4, _N_DIAG))
    if g:
        s = np.asarray(s, dtype=float)
        ybar = s / n
        scatter = float(np.maximum(np.asarray(ss, dtype=float) - s * ybar, 0.0).sum())
        col = col - (float(n.sum()) - g) * _LOG_SY - scatter * _HALF_INV_SY2
        # group j's mean has variance v_j = sa^2 (1 + ratio2 / n_j), so 1 / v_j = n_j / (n_j + ratio2) / sa^2
        # and log v_j = log sa^2 + log1p(ratio2 / n_j): per-group sums live on the 186 diagonals, and
        # groups of equal size share them (deviations centred on the prior mean for conditioning)
        size = n.astype(np.intp)
        dev = ybar - prior_mean
        sums = np.stack([np.bincount(size), np.bincount(size, dev), np.bincount(size, dev * dev)])
        sizes = np.flatnonzero(sums[0])
        coef = sums[:, sizes]
        sc = sizes[:, None].astype(float)
        np.matmul(coef, sc / (sc + _RATIO2), out=diag[:3])
        np.matmul(coef[0], np.log1p(_RATIO2 / sc), out=diag[3])
    pd, ld, qd, logdet = _diagonal_view(diag)
    # mu integrated out: precision x / sa^2 with x = sa^2 p0 + pd, linear term ld / sa^2, quadratic qd / sa^2;
    # t = -2 log posterior (up to a constant)
    x = pd + _SA2_P0
    t = ld / x
    t *= ld
    np.subtract(qd, t, out=t)
    t *= _INV_SA2
    t += logdet
    t += np.log(x, out=x)
    t -= (2.0 * row)[:, None]
    t -= 2.0 * col
    t -= t.min()
    # weights below e^-700 (relative) are nil; clipping keeps exp on its fast path (no subnormals)
    np.minimum(t, 1400.0, out=t)
    t *= -0.5
    cdf = np.cumsum(np.exp(t, out=t), out=t.reshape(-1))
    cdf /= cdf[-1]
    return Fit(cdf, diag[0], diag[1], float(prior_mean))


def _values(
    cell: np.ndarray,
    pd: np.ndarray,
    ld: np.ndarray,
    prior_mean: float,
    n: np.ndarray,
    s: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """One predictive draw per entry from its grid cell and its fit's ``pd``/``ld`` there; n = 0 is a new group."""
    sa2, sy2 = _SA2_FLAT[cell], _SY2_FLAT[cell]
    x = sa2 * _P0 + pd
    mu = ld / x + prior_mean + np.sqrt(sa2 / x) * z[0]
    prec = 1.0 / sa2 + n / sy2
    alpha = (mu / sa2 + s / sy2) / prec + z[1] / np.sqrt(prec)
    return alpha + _SY_FLAT[cell] * z[2]


def predictive(
    f: Fit, n: np.ndarray, s: np.ndarray, rng: np.random.Generator, n_new: int, size: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Independent predictive draws: ``(size, groups)`` for existing groups, ``(size, n_new)`` for new ones."""
    g = len(n)
    zeros = np.zeros(n_new)
    nn = np.tile(np.concatenate([np.asarray(n, dtype=float), zeros]), size)
    ss = np.tile(np.concatenate([np.asarray(s, dtype=float), zeros]), size)
    y = draw([(f, nn, ss)], rng).reshape(size, g + n_new)
    return y[:, :g], y[:, g:]


def draw(blocks: list[tuple[Fit, np.ndarray, np.ndarray]], rng: np.random.Generator) -> np.ndarray:
    """One independent predictive draw per entry of every block ``(fit, n, s)`` (n = s = 0: a new group).

    One call (one pair of RNG calls) draws every candidate of a tree level. All fits share one prior mean.
    """
    sizes = [len(n) for _, n, _ in blocks]
    u = rng.random(sum(sizes))
    z = rng.standard_normal((3, len(u)))
    if len(blocks) == 1:
        f, n, s = blocks[0]
        cell = np.searchsorted(f.cdf, u, side="right")
        diag = _DIAG_FLAT[cell]
        return _values(cell, f.pd[diag], f.ld[diag], f.prior_mean, n, s, z)
    bounds = np.cumsum([0, *sizes]).tolist()
    fits = [b[0] for b in blocks]
    cell = np.concatenate(
        [
            np.searchsorted(f.cdf, u[i:j], side="right")
            for f, i, j in zip(fits, bounds[:-1], bounds[1:], strict=True)
        ]
    )
    # the fits' diagonal tables side by side, so one gather serves every block
    diag = _DIAG_FLAT[cell] + np.repeat(np.arange(0, _N_DIAG * len(fits), _N_DIAG), sizes)
    pd = np.concatenate([f.pd for f in fits])[diag]
    ld = np.concatenate([f.ld for f in fits])[diag]
    n = np.concatenate([b[1] for b in blocks])
    s = np.concatenate([b[2] for b in blocks])
    return _values(cell, pd, ld, fits[0].prior_mean, n, s, z)
