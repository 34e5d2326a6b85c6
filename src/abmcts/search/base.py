"""Shared ask/tell/step machinery; subclasses only choose where to expand and keep their statistics."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from abmcts.search.errors import SearchInputError
from abmcts.search.tree import Tree, Trial

GenerateFn = Callable[[Any], tuple[Any, float]]


def check_option(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise SearchInputError(f"{name}={value!r} is not one of {list(allowed)}")


def check_score(score: Any, where: str) -> float:
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise SearchInputError(f"{where}: score {score!r} is not a number")
    s = float(score)
    if math.isnan(s) or not 0.0 <= s <= 1.0:
        raise SearchInputError(f"{where}: score {score!r} is outside [0, 1]")
    return s


def check_actions(actions: Any) -> list[str]:
    acts = list(actions)
    if not acts:
        raise SearchInputError("actions: empty action set (need at least one model/action name)")
    for a in acts:
        if not isinstance(a, str) or not a:
            raise SearchInputError(f"actions: action name {a!r} is not a non-empty string")
    if len(set(acts)) != len(acts):
        raise SearchInputError(f"actions: duplicate action names in {acts}")
    return acts


class Algorithm:
    """Stateless search algorithm: every method takes the tree and returns it (updated in place)."""

    name: ClassVar[str]

    def __init__(self, seed: int | None = 0) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise SearchInputError(f"seed={seed!r} must be a non-negative int or None")
        self.seed = seed

    # ---- hooks -----------------------------------------------------------------------------
    def params(self) -> dict:
        """JSON-safe constructor arguments; stored in the tree so a checkpoint names its algorithm."""
        return {"seed": self.seed}

    def _init_stats(self, tree: Tree) -> None:
        """Create algorithm statistics for a fresh tree."""

    def _select(self, tree: Tree, actions: list[str]) -> tuple[int, str]:
        """Return (parent node id, action) for the next expansion."""
        raise NotImplementedError

    def _reserve(self, tree: Tree, trial: Trial, sign: int) -> None:
        """Apply (+1) or remove (-1) the pending-trial reservation / virtual loss."""

    def _observe(self, tree: Tree, node_id: int) -> None:
        """Fold a new node's score into the statistics (O(depth))."""

    # ---- public API ------------------------------------------------------------------------
    def init_tree(self) -> Tree:
        tree = Tree(self.name, self.params(), self.seed)
        self._init_stats(tree)
        return tree

    def load_tree(self, d: dict) -> Tree:
        """Rebuild a checkpoint made by this algorithm with the same parameters."""
        tree = Tree.from_dict(d)
        if tree.algorithm != self.name or tree.params != self.params():
            raise SearchInputError(
                f"tree dict: made by {tree.algorithm!r} {tree.params}, not {self.name!r} {self.params()}"
            )
        return tree

    def step(self, tree: Tree, generate_fns: Mapping[str, GenerateFn]) -> Tree:
        """One expansion: choose (node, action), call ``generate_fns[action](parent_state)``, record it."""
        actions = check_actions(generate_fns.keys())
        tree, (trial,) = self.ask_batch(tree, 1, actions)
        result = generate_fns[trial.action](trial.parent_state)
        return self.tell(tree, trial.trial_id, result)

    def ask_batch(self, tree: Tree, batch_size: int, actions: Sequence[str]) -> tuple[Tree, list[Trial]]:
        """Reserve ``batch_size`` distinct pending trials; results may be told in any order."""
        acts = check_actions(actions)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise SearchInputError(f"batch_size={batch_size!r} must be a positive int")
        trials = []
        for _ in range(batch_size):
            parent_id, action = self._select(tree, acts)
            trial = tree.new_trial(parent_id, action)
            self._reserve(tree, trial, +1)
            trials.append(trial)
        return tree, trials

    def tell(self, tree: Tree, trial_id: str, result: tuple[Any, float]) -> Tree:
        """Record a trial's (state, score). Telling the same result twice is a no-op."""
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise SearchInputError(f"trial {trial_id!r}: result {result!r} is not a (state, score) pair")
        state, raw = result
        score = check_score(raw, f"trial {trial_id!r}")
        if trial_id in tree.done:
            node = tree.done[trial_id]
            if tree.score[node] != score or tree.state[node] != state:
                raise SearchInputError(
                    f"trial {trial_id!r}: already told with score {tree.score[node]!r}, now {raw!r}"
                )
            return tree
        trial = tree.pending.pop(trial_id, None)
        if trial is None:
            raise SearchInputError(f"trial id {trial_id!r} is unknown (never asked in this tree)")
        self._reserve(tree, trial, -1)
        node_id = tree.add_node(trial.parent_id, trial.action, state, score)
        tree.done[trial_id] = node_id
        self._observe(tree, node_id)
        return tree

    def get_state_score_pairs(self, tree: Tree) -> list[tuple[Any, float]]:
        return tree.state_score_pairs()


class TreeWalk(Algorithm):
    """An algorithm that walks down from the root, choosing at each node GEN or a child to enter."""

    def _select(self, tree: Tree, actions: list[str]) -> tuple[int, str]:
        node = 0
        while True:
            choice = self._choose(tree, node, actions)
            if isinstance(choice, str):
                return node, choice
            node = choice

    def _choose(self, tree: Tree, node: int, actions: list[str]) -> str | int:
        """An action name (GEN at ``node``) or a child id (descend)."""
        raise NotImplementedError


def top_k(tree: Tree, algo: Algorithm, k: int) -> list[tuple[Any, float]]:
    """The ``k`` best (state, score) pairs, best first; ties keep creation order."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise SearchInputError(f"k={k!r} must be a non-negative int")
    pairs = algo.get_state_score_pairs(tree)
    order = sorted(range(len(pairs)), key=lambda i: -pairs[i][1])
    return [pairs[i] for i in order[:k]]
