"""AB-MCTS-M: the fast grid sampler's Thompson choice probabilities match a slow uncollapsed Gibbs reference.

Tolerance: 0.02 absolute per choice probability (reference Monte Carlo error ~0.003, fast-sampler
grid error measured at < 0.002 with long reference runs).
"""

from __future__ import annotations

import numpy as np
import pytest

from abmcts.search import ABMCTSM, mixed_model

from reference_mixed_model import choice_probabilities, gibbs_predictive
from search_helpers import build, refining_fns

TOL = 0.02

# root's children as groups: each group is the child's score followed by its subtree's scores
TREES = {
    "three-children": [[0.2, 0.3, 0.25], [0.6, 0.55], [0.45]],
    "two-singletons": [[0.1], [0.7]],
    "spread-and-many": [[0.0, 0.05, 0.1, 0.0, 0.02, 0.08, 0.1, 0.03] * 3, [0.5, 0.52], [0.3]],
}


def _spec(groups):
    """Each group becomes a child of the root with a chain below it."""
    spec, next_id = [], 1
    for g in groups:
        parent = 0
        for score in g:
            spec.append((parent, "m", score))
            parent = next_id
            next_id += 1
    return spec


def _reference(groups, seed=11):
    y, y_new = gibbs_predictive(groups, 0.5, seed=seed)
    return choice_probabilities(np.column_stack([y, y_new]), np.random.default_rng(0))


@pytest.mark.parametrize("name", sorted(TREES))
def test_fast_sampler_matches_reference(name):
    groups = TREES[name]
    n = np.array([len(g) for g in groups], dtype=float)
    s = np.array([sum(g) for g in groups])
    ss = np.array([sum(x * x for x in g) for g in groups])
    fit = mixed_model.fit(n, s, ss, 0.5)
    y, y_new = mixed_model.predictive(fit, n, s, np.random.default_rng(1), 1, size=50_000)
    fast = np.bincount(np.column_stack([y, y_new]).argmax(1), minlength=len(groups) + 1) / 50_000
    np.testing.assert_allclose(fast, _reference(groups), atol=TOL)


def test_algorithm_choice_probabilities_match_reference():
    """End to end: ABMCTSM's own choice at the root of a fixed tree (pruning off, one model)."""
    groups = TREES["three-children"]
    algo = ABMCTSM(enable_pruning=False, seed=4)
    tree = build(algo, _spec(groups))
    options = [*tree.children[0], "m"]
    counts = dict.fromkeys(options, 0)
    for _ in range(4000):
        counts[algo._choose(tree, 0, ["m"])] += 1
    freq = np.array([counts[o] for o in options]) / 4000
    np.testing.assert_allclose(freq, _reference(groups), atol=0.03)


def test_group_stats_match_recomputation():
    algo = ABMCTSM()
    spec = [(0, "a", 0.2), (0, "b", 0.6), (1, "a", 0.3), (3, "b", 0.8), (2, "a", 0.1), (4, "a", 0.9)]
    tree = build(algo, spec)

    def subtree(x):
        out = [x]
        for k in tree.children[x]:
            out += subtree(k)
        return out

    for node in range(len(tree) + 1):
        for k, entry in zip(tree.children[node], tree.stats["nodes"][node]["g"], strict=True):
            members = subtree(k)
            for a in ("a", "b"):
                xs = [tree.score[m] for m in members if tree.action[m] == a]
                assert entry.get(a, [0, 0.0, 0.0]) == pytest.approx(
                    [len(xs), sum(xs), sum(x * x for x in xs)]
                )


def test_pruning_skips_flat_subtrees():
    """A child whose subtree scores are all identical (>= 4 nodes) is never descended into."""
    algo = ABMCTSM(seed=0)
    tree = build(algo, [(0, "m", 0.9), (1, "m", 0.9), (2, "m", 0.9), (3, "m", 0.9), (0, "m", 0.1)])
    picks = {algo._choose(tree, 0, ["m"]) for _ in range(300)}
    assert 1 not in picks
    unpruned = ABMCTSM(enable_pruning=False, seed=0)
    tree2 = build(unpruned, [(0, "m", 0.9), (1, "m", 0.9), (2, "m", 0.9), (3, "m", 0.9), (0, "m", 0.1)])
    assert 1 in {unpruned._choose(tree2, 0, ["m"]) for _ in range(300)}


def test_refinable_problem_goes_deep():
    algo = ABMCTSM(seed=0)
    tree = algo.init_tree()
    fns = refining_fns(0, {"m": 0.3})
    for _ in range(60):
        tree = algo.step(tree, fns)
    assert max(len(tree.path_to_root(i)) - 1 for i in range(1, 61)) >= 4
    assert max(tree.score[1:]) > 0.6


@pytest.mark.parametrize("strategy", ["stack", "thompson", "ucb"])
def test_multi_model_prefers_the_strong_model(strategy):
    algo = ABMCTSM(model_selection=strategy, seed=2)
    tree = algo.init_tree()
    rnd = np.random.default_rng(2)
    quality = {"weak": 0.1, "strong": 0.8, "none": 0.0}
    fns = {a: (lambda p, q=q: ("x", round(float(q * rnd.random()), 3))) for a, q in quality.items()}
    for _ in range(100):
        tree = algo.step(tree, fns)
    calls = {a: v["calls"] for a, v in tree.action_stats().items()}
    assert calls["strong"] > max(calls["weak"], calls["none"])
    assert calls["strong"] > 40


def test_multi_block_draw_matches_single_block_predictive():
    """One ``draw`` over several fits gives each block the same predictive as drawing it alone."""
    blocks = []
    for groups in (TREES["three-children"], TREES["two-singletons"]):
        n = np.array([len(g) for g in groups], dtype=float)
        s = np.array([sum(g) for g in groups])
        ss = np.array([sum(x * x for x in g) for g in groups])
        blocks.append((mixed_model.fit(n, s, ss, 0.5), n, s))
    reps = 20_000
    tiled = [(f, np.tile(np.append(n, 0.0), reps), np.tile(np.append(s, 0.0), reps)) for f, n, s in blocks]
    joint = mixed_model.draw(tiled, np.random.default_rng(5))
    start = 0
    for f, n, s in blocks:
        k = len(n) + 1
        mine = joint[start : start + k * reps].reshape(reps, k)
        start += k * reps
        y, y_new = mixed_model.predictive(f, n, s, np.random.default_rng(6), 1, size=reps)
        alone = np.column_stack([y, y_new])
        np.testing.assert_allclose(mine.mean(0), alone.mean(0), atol=0.012)
        np.testing.assert_allclose(mine.std(0), alone.std(0), atol=0.012)


def test_cached_groups_match_a_fresh_rebuild():
    """Cached per-node groups (and their fits) always equal what the current statistics give, also with
    pending trials (virtual loss) in flight."""
    algo = ABMCTSM(seed=1)
    tree = algo.init_tree()
    fns = refining_fns(3, {"a": 0.3, "b": 0.1})
    for step in range(40):
        tree, trials = algo.ask_batch(tree, 1 + step % 3, ["a", "b"])
        for t in trials:
            tree = algo.tell(tree, t.trial_id, fns[t.action](t.parent_state))
        fresh = algo.load_tree(tree.to_dict())
        for key, cached in list(tree.cache.items()):
            if key == "fits":
                continue
            for action, g in cached.items():
                want = algo._groups(fresh, key[1], action)
                assert g.kids == want.kids
                np.testing.assert_array_equal(g.n, want.n)
                np.testing.assert_array_equal(g.s, want.s)
                np.testing.assert_array_equal(g.fit.cdf, want.fit.cdf)
                assert (g.fit.base, g.fit.width) == (want.fit.base, want.fit.width)


def _full_grid_weights(n, s, ss, prior_mean):
    """Normalised posterior over the whole 46 x 96 grid, by another route: group means are jointly normal,
    ybar ~ N(prior_mean, D + 0.2^2 11'), D_j = sa^2 + sy^2 / n_j, plus each group's within scatter."""
    sa = mixed_model.SA_GRID[:, None, None]
    sy = mixed_model.SY_GRID[None, :, None]
    ybar, e = s / n, s / n - prior_mean
    d = sa**2 + sy**2 / n
    v = mixed_model.MU_SD**2
    k = 1 + v * (1 / d).sum(-1)
    quad = (e * e / d).sum(-1) - v * ((e / d).sum(-1)) ** 2 / k
    logdet = np.log(d).sum(-1) + np.log(k)
    sy2 = sy[..., 0] ** 2
    within = -(n.sum() - len(n)) * np.log(sy[..., 0]) - np.maximum(ss - s * ybar, 0).sum() / (2 * sy2)
    prior = -0.5 * (sa[..., 0] / mixed_model.SA_SCALE) ** 2 - 0.5 * sy2 / mixed_model.SY_SCALE**2
    logw = -0.5 * quad - 0.5 * logdet + within + prior + np.log(sa[..., 0]) + np.log(sy[..., 0])
    w = np.exp(logw - logw.max())
    return w / w.sum()


@pytest.mark.parametrize("seed", range(6))
def test_fit_box_holds_all_but_negligible_mass(seed):
    """The fit keeps only a box of the grid: inside it the weights equal an independent full-grid
    computation, and the mass it leaves out is below float noise."""
    rng = np.random.default_rng(seed)
    g = [1, 2, 5, 12, 30, 60][seed]
    n = rng.integers(1, [2, 4, 20, 40, 10, 30][seed], g).astype(float)
    y = rng.choice([0.0, 0.0, 0.0, 1 / 3, 0.5, 1.0], g) if seed % 2 else rng.random(g)
    spread = 0.0 if seed == 4 else 0.05  # seed 4: tied scores (the sigma_y -> floor spike)
    s = n * y
    ss = n * y * y + spread**2 * (n - 1)
    f = mixed_model.fit(n, s, ss, 0.5)
    want = _full_grid_weights(n, s, ss, 0.5).ravel()
    i = np.arange(len(f.cdf))
    cell = f.base + i + (i // f.width) * (96 - f.width)
    got = np.zeros_like(want)
    got[cell] = np.diff(f.cdf, prepend=0.0)
    outside = np.ones(len(want), bool)
    outside[cell] = False
    assert want[outside].sum() < 1e-13
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-15)


def test_bound_never_changes_the_fit(monkeypatch):
    """The cheap bound only skips cells it proves negligible: fits with and without it are bit-identical."""
    rng = np.random.default_rng(0)
    cases = []
    for _ in range(150):
        g = int(rng.integers(1, 60))
        n = rng.integers(1, int(rng.integers(2, 80)), g).astype(float)
        y = rng.choice([0.0, 1 / 3, 0.5, 1.0], g) if rng.random() < 0.5 else rng.random(g) * rng.random()
        s = n * y
        ss = n * y * y + rng.choice([0.0, 0.01, 0.1]) ** 2 * (n - 1)
        cases.append((n, s, ss, float(rng.choice([0.0, 0.5, 1.0]))))
    bounded = [mixed_model.fit(*c) for c in cases]
    monkeypatch.setattr(mixed_model, "_BOUND_MIN_OBS", float("inf"))
    for c, f in zip(cases, bounded, strict=True):
        full = mixed_model.fit(*c)
        assert (f.base, f.width) == (full.base, full.width)
        np.testing.assert_array_equal(f.cdf, full.cdf)
