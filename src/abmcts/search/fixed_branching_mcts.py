"""Baseline: UCT with a fixed branching factor (config name ``standard_mcts``; TreeQuest's StandardMCTS is
``standard_mcts.StandardMCTS``).

A node with fewer than ``branching`` children (counting pending trials as reserved slots) is
expanded; otherwise we descend to the child maximising mean subtree score + c*sqrt(ln N / n).
"""

from __future__ import annotations

import math
from typing import Any

from abmcts.search.base import Algorithm
from abmcts.search.errors import SearchInputError
from abmcts.search.state import SearchState, Trial


class FixedBranchingMCTS(Algorithm):
    name = "standard_mcts"

    def __init__(self, branching: int = 3, exploration: float = 1.0, seed: int | None = 0) -> None:
        super().__init__(seed)
        if isinstance(branching, bool) or not isinstance(branching, int) or branching < 1:
            raise SearchInputError(f"branching={branching!r} must be a positive int")
        if not isinstance(exploration, int | float) or not exploration >= 0:
            raise SearchInputError(f"exploration={exploration!r} must be a non-negative number")
        self.branching = branching
        self.exploration = float(exploration)

    def params(self) -> dict[str, Any]:
        return {"branching": self.branching, "exploration": self.exploration, "seed": self.seed}

    def _init_stats(self, tree: SearchState) -> None:
        # per node: [visits, sum of scores in the subtree incl. itself, pending children]
        tree.stats = {"nodes": [[0, 0.0, 0]]}

    def _reserve(self, tree: SearchState, trial: Trial, sign: int) -> None:
        counts = tree.stats["nodes"][trial.parent_id]
        tree.touch(counts)
        counts[2] += sign

    def _observe(self, tree: SearchState, node_id: int) -> None:
        nodes, score = tree.stats["nodes"], tree.score[node_id]
        tree.will_grow(nodes)
        nodes.append([0, 0.0, 0])
        for n in tree.path_to_root(node_id):
            tree.touch(nodes[n])
            nodes[n][0] += 1
            nodes[n][1] += score

    def _select(self, tree: SearchState, actions: list[str]) -> tuple[int, str]:
        nodes, node = tree.stats["nodes"], 0
        while len(tree.children[node]) + nodes[node][2] >= self.branching and tree.children[node]:
            log_n = math.log(max(nodes[node][0], 1))
            node = max(
                tree.children[node],
                key=lambda k: nodes[k][1] / nodes[k][0] + self.exploration * math.sqrt(log_n / nodes[k][0]),
            )
        return node, actions[int(tree.rng.integers(len(actions)))]
