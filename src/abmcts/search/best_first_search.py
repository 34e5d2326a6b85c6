"""TreeQuest's BestFirstSearchAlgo: expand the best-scoring unexpanded node (shallower first on ties),
``num_samples`` times per action."""

from __future__ import annotations

from typing import Any

from abmcts.search import keyed_heap
from abmcts.search.queued import Queued
from abmcts.search.standard_mcts import positive_int
from abmcts.search.state import SearchState


class BestFirstSearchAlgo(Queued):
    name = "best_first_search"

    def __init__(self, *, num_samples: int = 2, seed: int | None = 0) -> None:
        super().__init__(seed)
        self.num_samples = positive_int("num_samples", num_samples)

    def params(self) -> dict[str, Any]:
        return {"num_samples": self.num_samples, "seed": self.seed}

    def _init_stats(self, tree: SearchState) -> None:
        # heap of [-score, depth, node id] keyed on (-score, depth): nodes not yet chosen as a parent
        tree.stats = {"queue": {}, "leaves": []}

    def _round(self, tree: SearchState, actions: list[str]) -> list[tuple[int, str]]:
        leaves = tree.stats["leaves"]
        parent = keyed_heap.pop(leaves, _priority, tree)[2] if leaves else 0
        return [(parent, a) for a in actions for _ in range(self.num_samples)]

    def _observe_node(self, tree: SearchState, node_id: int) -> None:
        depth = len(tree.path_to_root(node_id)) - 1
        keyed_heap.push(tree.stats["leaves"], [-tree.edge(node_id)[2], depth, node_id], _priority, tree)


def _priority(entry: list[Any]) -> tuple[float, int]:
    """Higher score first, then shallower; equal priorities keep TreeQuest's heap order."""
    return entry[0], entry[1]
