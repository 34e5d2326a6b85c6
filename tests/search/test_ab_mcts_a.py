"""AB-MCTS-A: posteriors match the conjugate formulas, incremental stats match a recomputation, behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from abmcts.search import ABMCTSA, posteriors

from search_helpers import build, refining_fns

SPEC = [
    (0, "a", 0.2),
    (0, "b", 0.6),
    (1, "a", 0.3),
    (3, "b", 0.8),
    (2, "a", 0.1),
    (0, "a", 0.4),
    (4, "a", 0.9),
]


def _subtree(tree, node):
    out, stack = [], [node]
    while stack:
        x = stack.pop()
        out.append(tree.score[x])
        stack += tree.children[x]
    return out


def _st(xs):
    return [len(xs), sum(xs), sum(x * x for x in xs)]


def test_incremental_stats_match_recomputation():
    algo = ABMCTSA()
    tree = build(algo, SPEC)
    for node, st in enumerate(tree.stats["nodes"]):
        kids = tree.children[node]
        for j, k in enumerate(kids):
            assert st["cs"][j] == pytest.approx(_st(_subtree(tree, k)))
        for a in ("a", "b"):
            direct = [tree.score[k] for k in kids if tree.action[k] == a]
            deeper = [s for k in kids if tree.action[k] == a for s in _subtree(tree, k)[1:]]
            assert st["gen"].get(a, [0, 0, 0]) == pytest.approx(_st(direct))
            assert st["cont"].get(a, [0, 0, 0]) == pytest.approx(_st(deeper))
            assert st["act"].get(a, [0, 0, 0]) == pytest.approx(_st(direct + deeper))
        assert st["cont"].get("*", [0, 0, 0]) == pytest.approx(
            _st([s for k in kids for s in _subtree(tree, k)[1:]])
        )


def test_gaussian_posterior_matches_nig_formulas():
    xs = [0.2, 0.5, 0.4]
    n, mean = len(xs), np.mean(xs)
    kappa, nu = 1 + n, 1 + n
    m = n * mean / kappa
    tau2 = (0.1 + np.var(xs) * n + n * mean**2 / kappa) / nu
    draws = posteriors.draw("gaussian", [_st(xs)] * 200_000, np.random.default_rng(0))
    # marginal of mu is Student-t(nu) with location m and scale^2 tau2/kappa
    assert np.median(draws) == pytest.approx(m, abs=0.005)
    scale = np.sqrt(tau2 / kappa)
    iqr = np.subtract(*np.percentile(draws, [75, 25]))
    assert iqr == pytest.approx(2 * 0.7407 * scale, rel=0.02)  # t_4 upper quartile = 0.7407


def test_beta_posterior_is_jeffreys_updated():
    draws = posteriors.draw("beta", [[4, 3.0, 2.5]] * 200_000, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(3.5 / 5.0, abs=0.003)


def test_refinable_problem_goes_deep_and_unrefinable_stays_wide():
    def depth(tree):
        return max(len(tree.path_to_root(i)) - 1 for i in range(1, len(tree) + 1))

    algo = ABMCTSA(seed=0)
    deep = algo.init_tree()
    fns = refining_fns(0, {"m": 0.3})
    for _ in range(80):
        deep = algo.step(deep, fns)
    rnd = np.random.default_rng(0)
    flat = algo.init_tree()
    # refinement destroys quality: children of non-root nodes score 0
    gen = {"m": lambda p: ("x", float(rnd.random()) if p is None else 0.0)}
    for _ in range(80):
        flat = algo.step(flat, gen)
    assert depth(deep) >= 5
    assert len(deep.children[0]) < len(flat.children[0])
    assert len(flat.children[0]) >= 50


@pytest.mark.parametrize("strategy", ["stack", "thompson", "ucb"])
def test_multi_model_prefers_the_strong_model(strategy):
    algo = ABMCTSA(dist="beta", model_selection=strategy, seed=1)
    tree = algo.init_tree()
    rnd = np.random.default_rng(1)
    quality = {"weak": 0.1, "strong": 0.7, "none": 0.0}
    fns = {a: (lambda p, q=q: ("x", float(q * rnd.random()))) for a, q in quality.items()}
    for _ in range(150):
        tree = algo.step(tree, fns)
    calls = {a: v["calls"] for a, v in tree.action_stats().items()}
    assert calls["strong"] > calls["weak"] and calls["strong"] > calls["none"]
    assert calls["strong"] > 60
