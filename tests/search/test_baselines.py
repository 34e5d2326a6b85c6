"""Baselines: each does exactly its one thing."""

from __future__ import annotations

import numpy as np

from abmcts.search import FixedBranchingMCTS, MultiArmedBanditUCB, RepeatedSampling, SequentialRefinement

from search_helpers import refining_fns


def _run(algo, fns, steps):
    tree = algo.init_tree()
    for _ in range(steps):
        tree = algo.step(tree, fns)
    return tree


def test_repeated_sampling_is_pure_width_with_models_taking_turns():
    tree = _run(RepeatedSampling(), refining_fns(0, {"a": 0.3, "b": 0.3}), 10)
    assert tree.parent[1:] == [0] * 10
    assert tree.action[1:] == ["a", "b"] * 5


def test_sequential_refinement_latest_is_a_chain():
    tree = _run(SequentialRefinement(), refining_fns(0, {"a": 0.3}), 8)
    assert tree.parent[1:] == list(range(8))


def test_sequential_refinement_best_refines_the_best_node():
    scores = iter([0.5, 0.2, 0.9, 0.1, 0.3])
    tree = _run(SequentialRefinement(refine="best"), {"a": lambda p: ("x", next(scores))}, 5)
    # 1 (0.5) <- 2 (0.2) ; best is still 1 -> 3 (0.9) ; best is 3 -> 4, 5
    assert tree.parent[1:] == [0, 1, 1, 3, 3]


def test_standard_mcts_respects_branching_factor():
    tree = _run(FixedBranchingMCTS(branching=3, seed=0), refining_fns(0, {"a": 0.2, "b": 0.2}), 40)
    assert all(len(c) <= 3 for c in tree.children)
    assert len(tree.children[0]) == 3
    tree, trials = FixedBranchingMCTS(branching=3).ask_batch(
        FixedBranchingMCTS(branching=3).init_tree(), 5, ["a"]
    )
    assert [t.parent_id for t in trials] == [0] * 5  # nothing to descend into yet


def test_bandit_ucb_finds_the_best_model_at_the_root():
    rnd = np.random.default_rng(0)
    quality = {"weak": 0.2, "strong": 0.8, "mid": 0.5}
    fns = {a: (lambda p, q=q: ("x", float(q * rnd.random()))) for a, q in quality.items()}
    tree = _run(MultiArmedBanditUCB(), fns, 120)
    assert set(tree.parent[1:]) == {0}
    calls = {a: v["calls"] for a, v in tree.action_stats().items()}
    assert calls["strong"] > calls["mid"] > calls["weak"]
    # a batch spreads over untried models first
    algo = MultiArmedBanditUCB()
    _, trials = algo.ask_batch(algo.init_tree(), 3, list(quality))
    assert sorted(t.action for t in trials) == sorted(quality)
