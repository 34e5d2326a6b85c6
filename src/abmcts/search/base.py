"""Shared ask/tell/step machinery; subclasses only choose where to expand and keep their statistics."""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from abmcts.search.errors import InvalidResultError, SearchInputError
from abmcts.search.state import SearchState, Trial

GenerateFn = Callable[[Any], tuple[Any, float]]
RankingFn = Callable[[list[tuple[Any, float]]], list[tuple[Any, float]]]
logger = logging.getLogger(__name__)


def check_score(score: Any, where: str, validate_range: bool = True) -> float:
    """A real number (numpy scalars included) as a float; in [0, 1] unless ``validate_range`` is off."""
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise SearchInputError(f"{where}: score {score!r} is not a number")
    s = float(score)
    if math.isnan(s) or (validate_range and not 0.0 <= s <= 1.0):
        raise InvalidResultError(f"{where}: score {score!r} is outside [0, 1]")
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
    """Stateless search algorithm: every method takes the search state and returns it (``ask``/``tell`` update
    it in place; ``step`` works on a copy unless ``inplace=True``, as in TreeQuest)."""

    name: ClassVar[str]
    min_batch_size: ClassVar[int] = 0
    validate_reward_range: bool = True

    def __init__(self, seed: int | None = 0) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise SearchInputError(f"seed={seed!r} must be a non-negative int or None")
        self.seed = seed

    # ---- hooks -----------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """JSON-safe constructor arguments; stored in the tree so a checkpoint names its algorithm."""
        return {"seed": self.seed}

    def _init_stats(self, tree: SearchState) -> None:
        """Create algorithm statistics for a fresh tree."""

    def _select(self, tree: SearchState, actions: list[str]) -> tuple[int, str]:
        """Return (parent node id, action) for the next expansion."""
        raise NotImplementedError

    def _reserve(self, tree: SearchState, trial: Trial, sign: int) -> None:
        """Apply (+1) or remove (-1) the pending-trial reservation / virtual loss."""

    def _observe(self, tree: SearchState, node_id: int) -> None:
        """Fold a new node's score into the statistics (O(depth))."""

    def _accepts(self, tree: SearchState, trial: Trial) -> bool:
        """Whether a running trial's result still counts (queued algorithms use up their queue)."""
        return True

    # ---- public API ------------------------------------------------------------------------
    def init_tree(self) -> SearchState:
        tree = SearchState(self.name, self.params(), self.seed)
        self._init_stats(tree)
        return tree

    def load_tree(self, d: dict[str, Any]) -> SearchState:
        """Rebuild a checkpoint made by this algorithm with the same parameters."""
        tree = SearchState.from_dict(d)
        if tree.algorithm != self.name or tree.params != self.params():
            raise SearchInputError(
                f"tree dict: made by {tree.algorithm!r} {tree.params}, not {self.name!r} {self.params()}"
            )
        return tree

    def step(
        self, tree: SearchState, generate_fn: Mapping[str, GenerateFn], inplace: bool = False
    ) -> SearchState:
        """One expansion: ``ask``, call ``generate_fn[action](parent_state)``, ``tell``.

        As in TreeQuest, the given state is left untouched unless ``inplace=True``; the copy is
        O(1) (``SearchState.fork``): node states are shared, not deep-copied.
        """
        actions = check_actions(generate_fn.keys())
        if not inplace:
            tree = tree.fork()
        tree, trial = self.ask(tree, actions)
        return self.tell(tree, trial.trial_id, generate_fn[trial.action](trial.parent_state))

    def ask(self, tree: SearchState, actions: Sequence[str]) -> tuple[SearchState, Trial]:
        """One trial (``ask_batch`` of size 1)."""
        tree, (trial,) = self.ask_batch(tree, 1, actions)
        return tree, trial

    def ask_batch(
        self, tree: SearchState, batch_size: int, actions: Sequence[str]
    ) -> tuple[SearchState, list[Trial]]:
        """Reserve ``batch_size`` pending trials (none for 0); results may be told in any order."""
        acts = check_actions(actions)
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int)
            or batch_size < self.min_batch_size
        ):
            raise SearchInputError(f"batch_size={batch_size!r} must be an int >= {self.min_batch_size}")
        return tree, self._ask(tree, batch_size, acts)

    def _ask(self, tree: SearchState, batch_size: int, actions: list[str]) -> list[Trial]:
        """Trials chosen one at a time, each reserved before the next is chosen."""
        trials = []
        for _ in range(batch_size):
            parent_id, action = self._select(tree, actions)
            trial = tree.new_trial(parent_id, action)
            self._reserve(tree, trial, +1)
            trials.append(trial)
        return trials

    def tell(self, tree: SearchState, trial_id: str, result: tuple[Any, float]) -> SearchState:
        """Record a trial's (state, score).

        As in TreeQuest, a trial id that is unknown, already told or invalidated is ignored (with a
        warning); a malformed result or a bad score raises and leaves the trial pending.
        """
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise SearchInputError(f"trial {trial_id!r}: result {result!r} is not a (state, score) pair")
        state, raw = result
        score = check_score(raw, f"trial {trial_id!r}", self.validate_reward_range)
        if state is None:
            raise InvalidResultError(f"trial {trial_id!r}: the new node's state is None")
        trial = tree.pending.get(trial_id)
        if trial is None:
            known = "was already finished" if trial_id in tree.finished else "is unknown"
            logger.warning("trial %r %s: its result is not reflected in the search", trial_id, known)
            return tree
        if not self._accepts(tree, trial):
            tree.finish(trial_id, "INVALID")
            logger.warning(
                "trial %r is no longer needed: its result is not reflected in the search", trial_id
            )
            return tree
        self._reserve(tree, trial, -1)
        node_id = tree.add_node(trial.parent_id, trial.action, state, score, trial_id)
        tree.finish(trial_id, "COMPLETE", score)
        self._observe(tree, node_id)
        return tree

    def get_state_score_pairs(self, tree: SearchState) -> list[tuple[Any, float]]:
        return tree.state_score_pairs()


class TreeWalk(Algorithm):
    """An algorithm that walks down from the root, choosing at each node GEN or a child to enter."""

    def _select(self, tree: SearchState, actions: list[str]) -> tuple[int, str]:
        node = 0
        while True:
            choice = self._choose(tree, node, actions)
            if isinstance(choice, str):
                return node, choice
            node = choice

    def _choose(self, tree: SearchState, node: int, actions: list[str]) -> str | int:
        """An action name (GEN at ``node``) or a child id (descend)."""
        raise NotImplementedError


def top_k(
    state: SearchState, algorithm: Algorithm, k: int, ranking_fn: RankingFn | None = None
) -> list[tuple[Any, float]]:
    """The first ``k`` (state, score) pairs of ``ranking_fn(pairs)``; by default best score first (ties keep
    creation order). As in TreeQuest, asking for more pairs than the search made raises ``RuntimeError``."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise SearchInputError(f"k={k!r} must be a non-negative int")
    pairs = algorithm.get_state_score_pairs(state)
    if len(pairs) < k:
        raise RuntimeError(f"top_k: only {len(pairs)} states were generated, fewer than k={k}")
    if ranking_fn is not None:
        return list(ranking_fn(pairs))[:k]
    return sorted(pairs, key=lambda p: p[1], reverse=True)[:k]
