"""AB-MCTS-A (node aggregation), after TreeQuest's ``ABMCTSA``, with O(depth) incremental updates.

Per node N and per action a (key "*" pools all actions) we keep sufficient statistics of:
``gen[a]`` scores of N's direct children made by a; ``cont[a]`` scores deeper in the subtrees of
those children; ``act[a]`` both together (model choice in "stack"); ``cs[j]`` child j's own score
plus its subtree. At N: pick a model, then GEN vs CONT by Thompson sampling, then (CONT) a child.
"""

from __future__ import annotations

import numpy as np

from abmcts.search import posteriors
from abmcts.search.base import TreeWalk, check_option
from abmcts.search.model_choice import STRATEGIES, thompson_action, ucb_action
from abmcts.search.posteriors import add
from abmcts.search.tree import Tree, Trial

POOLED = "*"


def _node_stats() -> dict:
    return {"act": {}, "gen": {}, "cont": {}, "cs": []}


def _get(d: dict, key: str) -> list:
    st = d.get(key)
    if st is None:
        st = d[key] = posteriors.empty()
    return st


class ABMCTSA(TreeWalk):
    """Adaptive-branching MCTS with node aggregation (GEN / CONT) and conjugate posteriors."""

    name = "ab_mcts_a"

    def __init__(self, dist: str = "gaussian", model_selection: str = "stack", seed: int | None = 0) -> None:
        super().__init__(seed)
        check_option("dist", dist, posteriors.DISTS)
        check_option("model_selection", model_selection, STRATEGIES)
        self.dist = dist
        self.model_selection = model_selection

    def params(self) -> dict:
        return {"dist": self.dist, "model_selection": self.model_selection, "seed": self.seed}

    def _init_stats(self, tree: Tree) -> None:
        tree.stats = {"nodes": [_node_stats()], "pos": [None], "global": {}}

    # ---- statistics ----------------------------------------------------------------------
    def _propagate(self, tree: Tree, parent: int, action: str, score: float, sign: int) -> None:
        nodes, pos = tree.stats["nodes"], tree.stats["pos"]
        st = nodes[parent]
        for key in (action, POOLED):
            add(_get(st["gen"], key), score, sign)
        add(_get(st["act"], action), score, sign)
        cur = parent
        while (up := tree.parent[cur]) is not None:
            st = nodes[up]
            add(st["cs"][pos[cur]], score, sign)
            a = tree.action[cur]
            for key in (a, POOLED):
                add(_get(st["cont"], key), score, sign)
            add(_get(st["act"], a), score, sign)
            cur = up

    def _reserve(self, tree: Tree, trial: Trial, sign: int) -> None:
        # virtual loss: a pending trial counts as a score-0 observation (exactly undone on tell)
        self._propagate(tree, trial.parent_id, trial.action, 0.0, sign)

    def _observe(self, tree: Tree, node_id: int) -> None:
        parent, action, score = tree.parent[node_id], tree.action[node_id], tree.score[node_id]
        self._propagate(tree, parent, action, score, +1)
        pst = tree.stats["nodes"][parent]
        pst["cs"].append([1, score, score * score])
        tree.stats["pos"].append(len(pst["cs"]) - 1)
        tree.stats["nodes"].append(_node_stats())
        add(_get(tree.stats["global"], action), score)

    # ---- selection -----------------------------------------------------------------------
    def _choose(self, tree: Tree, node: int, actions: list[str]) -> str | int:
        """An action name (GEN at ``node``) or a child id (descend)."""
        st, rng, dist = tree.stats["nodes"][node], tree.rng, self.dist
        kids = tree.children[node]
        if self.model_selection == "stack":
            action = actions[0]
            if len(actions) > 1:
                vals = posteriors.draw(dist, [st["act"].get(a, posteriors.empty()) for a in actions], rng)
                action = actions[int(np.argmax(vals))]
            kids = [k for k in kids if tree.action[k] == action]
            key = action
        else:
            key = POOLED
        if kids:
            empty = posteriors.empty()
            gen, cont = posteriors.draw(dist, [st["gen"].get(key, empty), st["cont"].get(key, empty)], rng)
            if cont > gen:
                pos = tree.stats["pos"]
                vals = posteriors.draw(dist, [st["cs"][pos[k]] for k in kids], rng)
                return kids[int(np.argmax(vals))]
        if self.model_selection == "stack":
            return action
        if self.model_selection == "ucb":
            return ucb_action(tree.totals, actions)
        return thompson_action(dist, tree.stats["global"], actions, rng)
