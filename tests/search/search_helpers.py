"""Shared test helpers: deterministic synthetic generate functions and a tree builder."""

from __future__ import annotations

import random

import pytest

from abmcts.search import (
    ABMCTSA,
    ABMCTSM,
    FixedBranchingMCTS,
    MultiArmedBanditUCB,
    RepeatedSampling,
    SequentialRefinement,
)


def refining_fns(seed: int, skills: dict[str, float]) -> dict:
    """State = score; a child improves on its parent by a random amount scaled by the model's skill."""
    rnd = random.Random(seed)

    def make(skill: float):
        def gen(parent):
            base = 0.0 if parent is None else parent
            v = round(min(1.0, base + skill * rnd.random() * (1.0 - base) + 0.05 * rnd.random()), 6)
            return v, v

        return gen

    return {a: make(s) for a, s in skills.items()}


def build(algo, spec):
    """Tree with nodes given as (parent_id, action, score), folded in through the algorithm's own updates."""
    tree = algo.init_tree()
    for parent, action, score in spec:
        node = tree.add_node(parent, action, f"n{len(tree) + 1}", score)
        algo._observe(tree, node)
    return tree


ALL_ALGOS = [
    pytest.param(lambda: ABMCTSA(dist="gaussian", seed=3), id="a-gaussian-stack"),
    pytest.param(lambda: ABMCTSA(dist="beta", seed=3), id="a-beta-stack"),
    pytest.param(lambda: ABMCTSA(model_selection="thompson", seed=3), id="a-thompson"),
    pytest.param(lambda: ABMCTSA(dist="beta", model_selection="ucb", seed=3), id="a-ucb"),
    pytest.param(lambda: ABMCTSM(seed=3), id="m-stack"),
    pytest.param(lambda: ABMCTSM(model_selection="thompson", seed=3), id="m-thompson"),
    pytest.param(lambda: ABMCTSM(model_selection="ucb", enable_pruning=False, seed=3), id="m-ucb"),
    pytest.param(lambda: RepeatedSampling(seed=3), id="repeated"),
    pytest.param(lambda: SequentialRefinement(seed=3), id="sequential"),
    pytest.param(lambda: SequentialRefinement(refine="best", seed=3), id="sequential-best"),
    pytest.param(lambda: FixedBranchingMCTS(branching=2, seed=3), id="standard-mcts"),
    pytest.param(lambda: MultiArmedBanditUCB(seed=3), id="bandit"),
]
