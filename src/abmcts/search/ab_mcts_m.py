"""AB-MCTS-M (mixed model), after TreeQuest's ``ABMCTSM`` but with the fast grid sampler of ``mixed_model``.

At node N, every score in child j's subtree is an observation of group j; GEN is a new group.
Statistics per (child, action) are sufficient stats [n, sum, sumsq], updated in O(depth) per node;
derived data lives in ``tree.cache`` and is a pure function of the statistics, so caching never
changes results: per node and key the candidate children with their arrays (dropped whenever the
node's statistics change), and the model fits keyed by the statistics themselves. All candidates of
a tree level (every model's children and GEN) are drawn in one vectorised call.
Pruning as in TreeQuest: a child whose subtree (>= ``min_subtree_size_for_pruning`` nodes) has
one rounded score for >= ``same_score_proportion_threshold`` of its nodes is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from abmcts.search import mixed_model
from abmcts.search.base import TreeWalk
from abmcts.search.mixed_model import DEFAULT_PRIOR_MEAN, ABMCTSMAdvancedConfig
from abmcts.search.model_choice import THOMPSON, UCB, check_reward_average_priors, renamed, ucb_action
from abmcts.search.model_choice import model_selection_strategy as model_selection_strategy_name
from abmcts.search.posteriors import Stats, add_at
from abmcts.search.state import SearchState, Trial

POOLED = "*"
_FIT_LIMIT = 512  # cached fits per tree (<= ~38 KB each, a few KB on wide nodes); cleared when full


@dataclass(frozen=True)
class _Groups:
    """Node N's children with observations under one key, as arrays ready to draw from; GEN is the last entry."""

    kids: list[int]
    fit: mixed_model.Fit
    n: np.ndarray
    s: np.ndarray


def _bucket(score: float) -> str:
    return str(round(score * 100))


class ABMCTSM(TreeWalk):
    """Adaptive-branching MCTS with a hierarchical Bayesian mixed model per node."""

    name = "ab_mcts_m"

    min_batch_size = 1  # as TreeQuest's ABMCTSM: an empty batch is a ValueError

    def __init__(
        self,
        *,
        enable_pruning: bool = True,
        reward_average_priors: float | dict[str, float] | None = None,
        model_selection_strategy: str = THOMPSON,
        min_subtree_size_for_pruning: int = 4,
        same_score_proportion_threshold: float = 0.75,
        max_process_workers: int | None = None,
        _advanced_config: ABMCTSMAdvancedConfig | None = None,
        is_worker: bool = False,
        seed: int | None = 0,
        model_selection: str | None = None,
        prior_mean: float | None = None,
    ) -> None:
        """TreeQuest's arguments (``max_process_workers`` and ``is_worker`` are accepted and unused: a
        choice takes milliseconds here, so it runs in-process); ``seed`` is ours, ``model_selection``
        and ``prior_mean`` (= a single ``reward_average_priors``) are our old names."""
        super().__init__(seed)
        strategy = renamed(
            "model_selection_strategy", model_selection_strategy, THOMPSON, "model_selection", model_selection
        )
        self.model_selection = model_selection_strategy_name(strategy)
        priors = check_reward_average_priors(
            renamed("reward_average_priors", reward_average_priors, None, "prior_mean", prior_mean)
        )
        self.reward_average_priors = priors
        self.prior_mean = priors if isinstance(priors, float) else DEFAULT_PRIOR_MEAN
        self._action_means = priors if isinstance(priors, dict) else {}
        self.enable_pruning = bool(enable_pruning)
        self.min_prune = int(min_subtree_size_for_pruning)
        self.prune_share = float(same_score_proportion_threshold)
        self.max_process_workers = max_process_workers
        self._advanced_config = ABMCTSMAdvancedConfig() if _advanced_config is None else _advanced_config
        self._advanced_config.check_supported()
        self.validate_reward_range = self._advanced_config.validate_reward_range

    @property
    def model_selection_strategy(self) -> str:
        return self.model_selection

    def params(self) -> dict[str, Any]:
        """Options at their defaults are left out, so checkpoints from before they existed still load."""
        p: dict[str, Any] = {
            "model_selection": self.model_selection,
            "prior_mean": self.prior_mean,
            "enable_pruning": self.enable_pruning,
            "min_subtree_size_for_pruning": self.min_prune,
            "same_score_proportion_threshold": self.prune_share,
            "seed": self.seed,
        }
        if self._action_means:
            p["reward_average_priors"] = dict(self._action_means)
        if not self.validate_reward_range:
            p["validate_reward_range"] = False
        return p

    def _init_stats(self, tree: SearchState) -> None:
        # nodes[i]["g"][j]: {action or "*": [n, sum, sumsq]} for child j; nodes[i]["h"]: subtree score histogram
        tree.stats = {"nodes": [{"g": [], "h": {}}], "pos": [None], "global": {}}

    # ---- statistics ----------------------------------------------------------------------
    def _propagate(self, tree: SearchState, parent: int, action: str, score: float, sign: int) -> None:
        nodes, pos = tree.stats["nodes"], tree.stats["pos"]
        cur = parent
        while (up := tree.parent[cur]) is not None:
            entry = nodes[up]["g"][pos[cur]]
            for key in (action, POOLED):
                add_at(tree, entry, key, score, sign)
            self._forget(tree, up, action)
            cur = up

    @staticmethod
    def _forget(tree: SearchState, node: int, action: str) -> None:
        """Drop ``node``'s cached groups for the keys whose statistics just changed."""
        cached = tree.cache.get(("node", node))
        if cached:
            cached.pop(action, None)
            cached.pop(POOLED, None)

    def _reserve(self, tree: SearchState, trial: Trial, sign: int) -> None:
        # virtual loss through the existing ancestors; exactly undone on tell
        self._propagate(tree, trial.parent_id, trial.action, 0.0, sign)

    def _observe(self, tree: SearchState, node_id: int) -> None:
        nodes = tree.stats["nodes"]
        parent, action, score = tree.edge(node_id)
        for grown in (nodes, tree.stats["pos"], nodes[parent]["g"]):
            tree.will_grow(grown)
        nodes.append({"g": [], "h": {}})
        tree.stats["pos"].append(len(nodes[parent]["g"]))
        nodes[parent]["g"].append({action: [1, score, score * score], POOLED: [1, score, score * score]})
        self._forget(tree, parent, action)
        self._propagate(tree, parent, action, score, +1)
        b = _bucket(score)
        for x in tree.path_to_root(node_id)[:-1]:
            h = nodes[x]["h"]
            tree.will_set(h, b)
            h[b] = h.get(b, 0) + 1
        add_at(tree, tree.stats["global"], action, score)

    # ---- sampling ------------------------------------------------------------------------
    def _fit(
        self, tree: SearchState, stats: list[Stats], n_new: int, prior_mean: float
    ) -> tuple[mixed_model.Fit, np.ndarray, np.ndarray]:
        """The fit for groups with ``stats`` (cached by value) and their (n, sum) arrays plus ``n_new`` new groups."""
        arr = np.array(stats, dtype=float).reshape(-1, 3)
        fits = tree.cache.setdefault("fits", {})
        key = (arr.tobytes(), prior_mean)
        f: mixed_model.Fit | None = fits.get(key)
        if f is None:
            if len(fits) >= _FIT_LIMIT:
                fits.clear()
            f = fits[key] = mixed_model.fit(arr[:, 0], arr[:, 1], arr[:, 2], prior_mean)
        zeros = np.zeros(n_new)
        return f, np.concatenate([arr[:, 0], zeros]), np.concatenate([arr[:, 1], zeros])

    def _groups(self, tree: SearchState, node: int, key: str) -> _Groups:
        """Children of ``node`` with observations under ``key`` (cached until the node's statistics change)."""
        per_node = tree.cache.setdefault(("node", node), {})
        g: _Groups | None = per_node.get(key)
        if g is None:
            kids: list[int] = []
            stats: list[Stats] = []
            for k, entry in zip(tree.children[node], tree.stats["nodes"][node]["g"], strict=True):
                st = entry.get(key)
                if st is not None and st[0] > 0:
                    kids.append(k)
                    stats.append(st)
            prior_mean = self._action_means.get(key, self.prior_mean)
            g = per_node[key] = _Groups(kids, *self._fit(tree, stats, 1, prior_mean))
        return g

    def _prunable(self, tree: SearchState, child: int) -> bool:
        if not self.enable_pruning:
            return False
        hist: dict[float, int] = tree.stats["nodes"][child]["h"]  # score bucket -> count in the subtree
        h = hist.values()
        total = sum(h)
        return total >= self.min_prune and max(h) / total >= self.prune_share

    # ---- selection -----------------------------------------------------------------------
    def _choose(self, tree: SearchState, node: int, actions: list[str]) -> str | int:
        """An action name (GEN at ``node``) or a child id (descend)."""
        if self.model_selection == "stack":
            groups = [self._groups(tree, node, a) for a in actions]
            values = mixed_model.draw([(g.fit, g.n, g.s) for g in groups], tree.rng)
            options: list[str | int] = []
            for g, a in zip(groups, actions, strict=True):
                options += g.kids
                options.append(a)
            best = options[int(values.argmax())]  # the usual case, without sorting every candidate
            if isinstance(best, str) or not self._prunable(tree, best):
                return best
            order: list[int] = np.argsort(-values, kind="stable").tolist()
            for i in order:
                opt = options[i]
                if isinstance(opt, str) or not self._prunable(tree, opt):
                    return opt
            raise AssertionError("unreachable: GEN options are never pruned")
        g = self._groups(tree, node, POOLED)
        values = mixed_model.draw([(g.fit, g.n, g.s)], tree.rng)
        y, y_new = values[:-1], values[-1]
        if g.kids and y.max() > y_new:
            ranked: list[int] = np.argsort(-y, kind="stable").tolist()
            for i in ranked:
                if not self._prunable(tree, g.kids[i]):
                    return g.kids[i]
        if self.model_selection == UCB:
            return ucb_action(tree.totals, actions)
        return self._thompson_action(tree, actions)

    def _thompson_action(self, tree: SearchState, actions: list[str]) -> str:
        if len(actions) == 1:
            return actions[0]
        glob = tree.stats["global"]
        seen = [a for a in actions if a in glob and glob[a][0] > 0]
        if not seen:
            return actions[int(tree.rng.integers(len(actions)))]
        unseen = [a for a in actions if a not in seen]
        fit = self._fit(tree, [glob[a] for a in seen], len(unseen), self.prior_mean)
        values = mixed_model.draw([fit], tree.rng).tolist()
        vals = dict(zip(seen + unseen, values, strict=True))
        return max(actions, key=lambda a: vals[a])
