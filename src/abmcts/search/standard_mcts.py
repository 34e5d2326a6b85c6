"""TreeQuest's StandardMCTS: UCT descent to a leaf, then ``samples_per_action`` expansions per action.

UCT score of child c under parent p: ``value_sum(c) / visits(c) + w * prior(c) * sqrt(ln visits(p) / visits(c))``,
where ``prior`` is the softmax of the siblings' scores once a parent has two children (1.0 before).
Deterministic: ties go to the earlier child.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from abmcts.search.errors import SearchInputError
from abmcts.search.queued import Queued
from abmcts.search.state import SearchState


def softmax(values: list[float]) -> list[float]:
    """Softmax of ``values`` (shifted by their maximum for stability)."""
    weights = np.exp(np.asarray(values, dtype=float) - max(values))
    shares: list[float] = (weights / weights.sum()).tolist()
    return shares


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SearchInputError(f"{name}={value!r} must be a positive int")
    return value


class StandardMCTS(Queued):
    name = "treequest_standard_mcts"

    def __init__(
        self, *, samples_per_action: int = 2, exploration_weight: float = math.sqrt(2), seed: int | None = 0
    ) -> None:
        super().__init__(seed)
        self.samples_per_action = positive_int("samples_per_action", samples_per_action)
        if isinstance(exploration_weight, bool) or not isinstance(exploration_weight, int | float):
            raise SearchInputError(f"exploration_weight={exploration_weight!r} must be a number")
        self.exploration_weight = float(exploration_weight)

    def params(self) -> dict[str, Any]:
        return {
            "samples_per_action": self.samples_per_action,
            "exploration_weight": self.exploration_weight,
            "seed": self.seed,
        }

    def _init_stats(self, tree: SearchState) -> None:
        # per node id: visits, sum of the scores in its subtree (itself included), softmax prior
        tree.stats = {"queue": {}, "visits": [0], "value_sum": [0.0], "prior": [1.0]}

    def _round(self, tree: SearchState, actions: list[str]) -> list[tuple[int, str]]:
        st, node = tree.stats, 0
        while tree.children[node]:
            log_n = math.log(max(st["visits"][node], 1))
            node = max(
                tree.children[node],
                key=lambda c: (
                    st["value_sum"][c] / st["visits"][c]
                    + self.exploration_weight * st["prior"][c] * math.sqrt(log_n / st["visits"][c])
                ),
            )
        return [(node, a) for _ in range(self.samples_per_action) for a in actions]

    def _observe_node(self, tree: SearchState, node_id: int) -> None:
        st, (parent, _, score) = tree.stats, tree.edge(node_id)
        for key in ("visits", "value_sum", "prior"):
            tree.will_grow(st[key])
        st["visits"].append(0)
        st["value_sum"].append(0.0)
        st["prior"].append(1.0)
        for n in tree.path_to_root(node_id):
            tree.will_set(st["visits"], n)
            tree.will_set(st["value_sum"], n)
            st["visits"][n] += 1
            st["value_sum"][n] += score
        siblings = tree.children[parent]
        if len(siblings) > 1:
            for c, p in zip(siblings, softmax([tree.edge(c)[2] for c in siblings]), strict=True):
                tree.will_set(st["prior"], c)
                st["prior"][c] = p
