"""AB-MCTS-A (node aggregation), after TreeQuest's ``ABMCTSA``, with O(depth) incremental updates.

Per node N and per action a (key "*" pools all actions) we keep sufficient statistics of:
``gen[a]`` scores of N's direct children made by a; ``cont[a]`` scores deeper in the subtrees of
those children; ``act[a]`` both together (model choice in "stack"); ``cs[j]`` child j's own score
plus its subtree. At N: pick a model, then GEN vs CONT by Thompson sampling, then (CONT) a child.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from abmcts.search import posteriors
from abmcts.search.base import TreeWalk
from abmcts.search.model_choice import (
    THOMPSON,
    UCB,
    check_option,
    check_reward_average_priors,
    renamed,
    thompson_action,
    ucb_action,
)
from abmcts.search.model_choice import model_selection_strategy as model_selection_strategy_name
from abmcts.search.posteriors import add, add_at
from abmcts.search.priors import PriorConfig
from abmcts.search.state import SearchState, Trial

POOLED = "*"


def _node_stats() -> dict[str, Any]:
    return {"act": {}, "gen": {}, "cont": {}, "cs": []}


class ABMCTSA(TreeWalk):
    """Adaptive-branching MCTS with node aggregation (GEN / CONT) and conjugate posteriors."""

    name = "ab_mcts_a"

    def __init__(
        self,
        dist_type: str = "gaussian",
        reward_average_priors: float | dict[str, float] | None = None,
        prior_config: PriorConfig | None = None,
        model_selection_strategy: str = THOMPSON,
        *,
        seed: int | None = 0,
        dist: str | None = None,
        model_selection: str | None = None,
    ) -> None:
        """TreeQuest's arguments; ``seed`` is ours, ``dist`` and ``model_selection`` are our old names."""
        super().__init__(seed)
        dist_type = renamed("dist_type", dist_type, "gaussian", "dist", dist)
        strategy = renamed(
            "model_selection_strategy", model_selection_strategy, THOMPSON, "model_selection", model_selection
        )
        self.prior_config = PriorConfig(dist_type=dist_type) if prior_config is None else prior_config
        check_option("dist_type", self.prior_config.dist_type, posteriors.DISTS)
        self.dist = self.prior_config.dist_type  # as in TreeQuest, prior_config's dist_type wins
        self.model_selection = model_selection_strategy_name(strategy)
        self.reward_average_priors = check_reward_average_priors(reward_average_priors)
        self._prior = None if prior_config is None else self.prior_config.with_reward_average(None)

    @property
    def model_selection_strategy(self) -> str:
        return self.model_selection

    def params(self) -> dict[str, Any]:
        """Options at their defaults are left out, so checkpoints from before they existed still load."""
        p: dict[str, Any] = {"dist": self.dist, "model_selection": self.model_selection, "seed": self.seed}
        if self.prior_config.prior is not None:
            p["prior"] = self.prior_config.get_params()
        if self.reward_average_priors is not None:
            p["reward_average_priors"] = self.reward_average_priors
        return p

    def _action_prior(self, actions: list[str]) -> Sequence[Any] | None:
        """Per action prior parameters (``posteriors.draw``'s ``prior``), or None for the shared prior."""
        r = self.reward_average_priors
        if r is None:
            return self._prior
        per_action = [
            self.prior_config.with_reward_average(r if isinstance(r, float) else r.get(a)) for a in actions
        ]
        return [np.array(column) for column in zip(*per_action, strict=True)]

    def _init_stats(self, tree: SearchState) -> None:
        tree.stats = {"nodes": [_node_stats()], "pos": [None], "global": {}}

    # ---- statistics ----------------------------------------------------------------------
    def _propagate(self, tree: SearchState, parent: int, action: str, score: float, sign: int) -> None:
        nodes, pos = tree.stats["nodes"], tree.stats["pos"]
        st = nodes[parent]
        for key in (action, POOLED):
            add_at(tree, st["gen"], key, score, sign)
        add_at(tree, st["act"], action, score, sign)
        cur = parent
        while (up := tree.parent[cur]) is not None:
            st = nodes[up]
            child = st["cs"][pos[cur]]
            tree.touch(child)
            add(child, score, sign)
            a = tree.edge(cur)[1]
            for key in (a, POOLED):
                add_at(tree, st["cont"], key, score, sign)
            add_at(tree, st["act"], a, score, sign)
            cur = up

    def _reserve(self, tree: SearchState, trial: Trial, sign: int) -> None:
        # virtual loss: a pending trial counts as a score-0 observation (exactly undone on tell)
        self._propagate(tree, trial.parent_id, trial.action, 0.0, sign)

    def _observe(self, tree: SearchState, node_id: int) -> None:
        parent, action, score = tree.edge(node_id)
        self._propagate(tree, parent, action, score, +1)
        pst = tree.stats["nodes"][parent]
        for grown in (pst["cs"], tree.stats["pos"], tree.stats["nodes"]):
            tree.will_grow(grown)
        pst["cs"].append([1, score, score * score])
        tree.stats["pos"].append(len(pst["cs"]) - 1)
        tree.stats["nodes"].append(_node_stats())
        add_at(tree, tree.stats["global"], action, score)

    # ---- selection -----------------------------------------------------------------------
    def _choose(self, tree: SearchState, node: int, actions: list[str]) -> str | int:
        """An action name (GEN at ``node``) or a child id (descend)."""
        st, rng, dist = tree.stats["nodes"][node], tree.rng, self.dist
        kids = tree.children[node]
        prior = self._prior
        if self.model_selection == "stack":
            action = actions[0]
            if len(actions) > 1:
                stats = [st["act"].get(a, posteriors.empty()) for a in actions]
                vals = posteriors.draw(dist, stats, rng, self._action_prior(actions))
                action = actions[int(np.argmax(vals))]
            kids = [k for k in kids if tree.action[k] == action]
            key = action
        else:
            key = POOLED
        if kids:
            empty = posteriors.empty()
            gen, cont = posteriors.draw(
                dist, [st["gen"].get(key, empty), st["cont"].get(key, empty)], rng, prior
            )
            if cont > gen:
                pos = tree.stats["pos"]
                vals = posteriors.draw(dist, [st["cs"][pos[k]] for k in kids], rng, prior)
                return kids[int(np.argmax(vals))]
        if self.model_selection == "stack":
            return action
        if self.model_selection == UCB:
            return ucb_action(tree.totals, actions)
        return thompson_action(dist, tree.stats["global"], actions, rng, self._action_prior(actions))
