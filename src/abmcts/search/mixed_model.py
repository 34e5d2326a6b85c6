"""Fast posterior predictive sampler for AB-MCTS-M's hierarchical model (numpy only).

Model (the AB-MCTS paper's mixed model), groups j with observations y_ij:
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

Only the live box of the grid is kept: the rows and columns holding a cell within e^-40 of the
largest weight. Every cell left out weighs < e^-40 of the largest, < 2e-14 of the total mass for
all 4416 cells together, so the posterior is unchanged to float precision (and memory stays small:
on root-like nodes the box is a few percent of the grid). A separable upper bound (``_candidate_box``)
proves most dead rows and columns before any grid work, so wide nodes compute a small box only; the
kept cells and their values are bit-identical to a whole-grid computation.

Thompson draws follow TreeQuest: each candidate (existing group, or a new group = GEN) gets its
own independent posterior-predictive draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abmcts.search.errors import SearchInputError

MU_SD = 0.2
SA_SCALE = 0.2
SY_SCALE = 0.3
DEFAULT_PRIOR_MEAN = 0.5
_FLOOR = 1e-3
_N_SY, _N_SA = 96, 46
_STEP = math.log(5 * SY_SCALE / _FLOOR) / (_N_SY - 1)  # log step of the sigma_y grid
SY_GRID = np.exp(math.log(_FLOOR) + _STEP * np.arange(_N_SY))
# descending, step 2 * _STEP, from ~1.02 (5 prior sd) down to the floor: row r, column c lies on
# diagonal d = c + 2r, where log(sigma_y / sigma_a) = _STEP * (d - 2 * (_N_SA - 1))
SA_GRID = np.exp(math.log(_FLOOR) + 2 * _STEP * np.arange(_N_SA - 1, -1, -1))
_N_DIAG = _N_SY + 2 * (_N_SA - 1)
_RATIO2 = np.exp(2 * _STEP * (np.arange(_N_DIAG) - 2 * (_N_SA - 1)))  # (sigma_y / sigma_a)^2


@dataclass(frozen=True)
class ABMCTSMAdvancedConfig:
    """TreeQuest's advanced AB-MCTS-M options. The prior scales are built into this sampler's grid, so
    only their defaults are supported; ``validate_reward_range=False`` lets scores leave [0, 1]."""

    validate_reward_range: bool = True
    prior_mu_alpha_sigma: float = MU_SD
    prior_sigma_alpha_sigma: float = SA_SCALE
    prior_sigma_y_sigma: float = SY_SCALE

    def __post_init__(self) -> None:
        for name in ("prior_mu_alpha_sigma", "prior_sigma_alpha_sigma", "prior_sigma_y_sigma"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")

    def check_supported(self) -> None:
        scales = (self.prior_mu_alpha_sigma, self.prior_sigma_alpha_sigma, self.prior_sigma_y_sigma)
        if scales != (MU_SD, SA_SCALE, SY_SCALE):
            raise SearchInputError(
                f"ABMCTSMAdvancedConfig prior sigmas {scales}: the fast sampler supports only the defaults "
                f"{(MU_SD, SA_SCALE, SY_SCALE)}"
            )


def _log_halfnormal_jacobian(x: np.ndarray, scale: float) -> np.ndarray:
    # log density of HalfNormal(scale) at x, times x (log-spaced grid cell width is proportional to x)
    density: np.ndarray = -0.5 * (x / scale) ** 2 + np.log(x)
    return density


_SA2 = SA_GRID**2
_INV_SA2 = 1.0 / _SA2
_P0 = 1.0 / MU_SD**2
_SA2_P0 = _SA2 * _P0
# row and column terms of 2 log posterior: prior x Jacobian, and the per-fit factors they multiply
_PRIOR_SA2 = 2.0 * _log_halfnormal_jacobian(SA_GRID, SA_SCALE)
_PRIOR_SY2 = 2.0 * _log_halfnormal_jacobian(SY_GRID, SY_SCALE)
_LOG_SA2 = 2.0 * np.log(SA_GRID)
_LOG_SY2 = 2.0 * np.log(SY_GRID)
_INV_SY2 = 1.0 / SY_GRID**2
_LOG_SA2_P0 = np.log(_SA2_P0)
_TWO_R = 2 * np.arange(_N_SA)
_LIVE = 80.0  # 2 log weight below the maximum beyond which a cell is dropped (weight < e^-40)
_BOUND_MIN_OBS = 8  # below this many observations the posterior is broad: skip the (then useless) bound


def _diagonal_view(a: np.ndarray) -> np.ndarray:
    """``(186,)`` contiguous array -> ``(46, 96)`` view (never written) with ``[r, c] = a[c + 2r]``."""
    s = a.strides[0]
    return np.ndarray((_N_SA, _N_SY), a.dtype, a, 0, (2 * s, s))


@dataclass(frozen=True)
class Fit:
    """Grid posterior of the scales on its live box (``width`` columns, top-left grid cell ``base``): the
    normalised CDF over the box's cells (row-major); and, per grid diagonal d, what fixes mu's conditional
    normal: ``prec = x / sa^2`` and ``mean = prior_mean + ld[d] / x`` with ``x = sa^2 / 0.2^2 + pd[d]``.
    """

    cdf: np.ndarray
    base: int
    width: int
    pd: np.ndarray
    ld: np.ndarray
    prior_mean: float


_CHUNK = 256
# per group size n (rows) and diagonal: precision weight n / (n + ratio2) and log variance factor
# log1p(ratio2 / n); grown in fixed chunks, so a value never depends on the sizes asked for before
_TABLE = [np.empty((0, 2, _N_DIAG))]


def _size_table(size: np.ndarray) -> np.ndarray:
    """``(groups, 2, 186)``: both per-size factors for each group size."""
    table = _TABLE[0]
    while len(table) <= size.max():
        k = np.arange(len(table), len(table) + _CHUNK, dtype=float)[:, None]
        with np.errstate(divide="ignore"):  # size 0 never occurs; its row is unused
            chunk = np.stack([k / (k + _RATIO2), np.log1p(_RATIO2 / k)], axis=1)
        table = _TABLE[0] = np.concatenate([table, chunk])
    rows: np.ndarray = table[size]
    return rows


def _scale_terms(
    diag: np.ndarray, n: np.ndarray, s: np.ndarray, ss: np.ndarray, prior_mean: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``diag`` (4 x 186: pd, ld, qd, logdet) for one group set; return the row and column terms of
    2 log posterior."""
    g = len(n)
    rows2 = _PRIOR_SA2 - (g - 1) * _LOG_SA2
    if not g:
        return rows2, _PRIOR_SY2
    ybar = s / n
    scatter = float(np.maximum(ss - s * ybar, 0.0).sum())
    cols2 = _PRIOR_SY2 - (float(n.sum()) - g) * _LOG_SY2 - scatter * _INV_SY2
    # group j's mean has variance v_j = sa^2 (1 + ratio2 / n_j), so 1 / v_j = n_j / (n_j + ratio2) / sa^2
    # and log v_j = log sa^2 + log1p(ratio2 / n_j): per-group sums live on the 186 diagonals
    # (deviations centred on the prior mean for conditioning)
    table = _size_table(n.astype(np.intp))
    dev = ybar - prior_mean
    coef = np.empty((3, g))
    coef[0] = 1.0
    coef[1] = dev
    np.multiply(dev, dev, out=coef[2])
    np.matmul(coef, table[:, 0], out=diag[:3])
    table[:, 1].sum(0, out=diag[3])
    return rows2, cols2


def _candidate_box(diag: np.ndarray, rows2: np.ndarray, cols2: np.ndarray) -> tuple[int, int, int, int]:
    """Rows ``r0:r1`` and columns ``c0:c1`` outside which every cell is provably below the live threshold.

    Bound: ld^2 / x <= ld^2 / pd <= qd (Cauchy-Schwarz), logdet >= 0 and x >= sa^2 p0, so
    a[r, c] <= (2 row[r] - log(sa^2 p0)) + 2 col[c]. The largest exact value on the best column is a
    lower bound of the maximum, so cells whose bound is below it minus the live threshold are dropped;
    the maximum itself always stays inside.
    """
    best = int(cols2.argmax())
    pd, ld, qd, logdet = diag[:, _TWO_R + best]
    x = pd + _SA2_P0
    column = ld * ld / x
    column -= qd
    column *= _INV_SA2
    column -= np.log(x, out=x)
    column -= logdet
    column += rows2
    floor = float(column.max()) + float(cols2[best]) - _LIVE - 1.0  # 1.0: slack for rounding
    rpart = rows2 - _LOG_SA2_P0
    c = np.flatnonzero(cols2 >= floor - rpart.max())
    c0, c1 = int(c[0]), int(c[-1]) + 1
    r = np.flatnonzero(rpart >= floor - cols2[c0:c1].max())
    return int(r[0]), int(r[-1]) + 1, c0, c1


def fit(n: np.ndarray, s: np.ndarray, ss: np.ndarray, prior_mean: float) -> Fit:
    """Posterior of (sigma_a, sigma_y, mu) given per-group sufficient statistics (n: whole numbers >= 1)."""
    diag = np.zeros((4, _N_DIAG))
    n = np.asarray(n, dtype=float)
    rows2, cols2 = _scale_terms(diag, n, np.asarray(s, dtype=float), np.asarray(ss, dtype=float), prior_mean)
    pd, ld, qd, logdet = diag
    if n.sum() >= _BOUND_MIN_OBS:
        r0, r1, c0, c1 = _candidate_box(diag, rows2, cols2)
    else:
        r0, r1, c0, c1 = 0, _N_SA, 0, _N_SY
    # mu integrated out: precision x / sa^2 with x = sa^2 p0 + pd, linear term ld / sa^2, quadratic qd / sa^2;
    # a = 2 log posterior (up to a constant), on the candidate box only
    x = _diagonal_view(pd)[r0:r1, c0:c1] + _SA2_P0[r0:r1, None]
    a = _diagonal_view(ld * ld)[r0:r1, c0:c1] / x
    a -= _diagonal_view(qd)[r0:r1, c0:c1]
    a *= _INV_SA2[r0:r1, None]
    a -= np.log(x, out=x)
    a -= _diagonal_view(logdet)[r0:r1, c0:c1]
    a += rows2[r0:r1, None]
    a += cols2[c0:c1]
    rmax = a.max(1)
    top = rmax.max()
    r = np.flatnonzero(rmax > top - _LIVE)
    a = a[r[0] : r[-1] + 1]
    c = np.flatnonzero(a.max(0) > top - _LIVE)
    r0, c0 = r0 + int(r[0]), c0 + int(c[0])
    w = a[:, c[0] : c[-1] + 1] - top
    # weights below e^-700 (relative) are nil; clipping keeps exp on its fast path (no subnormals)
    np.maximum(w, -1400.0, out=w)
    w *= 0.5
    cdf = np.cumsum(np.exp(w, out=w), out=w.reshape(-1))
    cdf /= cdf[-1]
    return Fit(cdf, r0 * _N_SY + c0, w.shape[1], pd, ld, float(prior_mean))


_SA2_FLAT = np.repeat(_SA2, _N_SY)
_SY_FLAT = np.tile(SY_GRID, _N_SA)
_SY2_FLAT = _SY_FLAT**2
_DIAG_FLAT = (np.arange(_N_SY)[None, :] + 2 * np.arange(_N_SA)[:, None]).ravel()


def _values(
    cell: np.ndarray,
    pd: np.ndarray,
    ld: np.ndarray,
    prior_mean: float | np.ndarray,  # one per entry when the blocks' fits differ
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
    values: np.ndarray = alpha + _SY_FLAT[cell] * z[2]
    return values


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

    One call (one pair of RNG calls) draws every candidate of a tree level.
    """
    sizes = [len(n) for _, n, _ in blocks]
    u = rng.random(sum(sizes))
    z = rng.standard_normal((3, len(u)))
    if len(blocks) == 1:
        f, n, s = blocks[0]
        i = np.searchsorted(f.cdf, u, side="right")
        cell = i + (i // f.width) * (_N_SY - f.width) + f.base
        diag = _DIAG_FLAT[cell]
        return _values(cell, f.pd[diag], f.ld[diag], f.prior_mean, n, s, z)
    fits = [b[0] for b in blocks]
    ends = np.cumsum([0, *sizes]).tolist()
    i = np.concatenate(
        [
            np.searchsorted(f.cdf, u[a:b], side="right")
            for f, a, b in zip(fits, ends[:-1], ends[1:], strict=True)
        ]
    )
    # per entry: its box's width and top-left cell, and where its fit's diagonal table starts below
    width, base, start = np.repeat(
        [[f.width, f.base, k * _N_DIAG] for k, f in enumerate(fits)], sizes, axis=0
    ).T
    cell = i + (i // width) * (_N_SY - width) + base
    diag = _DIAG_FLAT[cell] + start
    pd = np.concatenate([f.pd for f in fits])[diag]
    ld = np.concatenate([f.ld for f in fits])[diag]
    n = np.concatenate([b[1] for b in blocks])
    s = np.concatenate([b[2] for b in blocks])
    means = {f.prior_mean for f in fits}
    prior_mean = fits[0].prior_mean if len(means) == 1 else np.repeat([f.prior_mean for f in fits], sizes)
    return _values(cell, pd, ld, prior_mean, n, s, z)
