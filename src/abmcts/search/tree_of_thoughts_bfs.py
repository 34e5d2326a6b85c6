"""TreeQuest's TreeOfThoughtsBFSAlgo (Yao et al. 2023): level by level, expand the ``breadth_limit`` best
leaves of the deepest level, ``size_limit // len(actions)`` (at least 1) times per action; the root
is expanded once, by the first action."""

from __future__ import annotations

from typing import Any

from abmcts.search import keyed_heap
from abmcts.search.errors import SearchInputError
from abmcts.search.queued import Queued
from abmcts.search.standard_mcts import positive_int
from abmcts.search.state import SearchState


class TreeOfThoughtsBFSAlgo(Queued):
    name = "tree_of_thoughts_bfs"

    def __init__(self, *, breadth_limit: int = 3, size_limit: int = 5, seed: int | None = 0) -> None:
        super().__init__(seed)
        self.breadth_limit = positive_int("breadth_limit", breadth_limit)
        self.size_limit = positive_int("size_limit", size_limit)
        if size_limit < breadth_limit:
            raise SearchInputError(f"size_limit={size_limit} must be >= breadth_limit={breadth_limit}")

    def params(self) -> dict[str, Any]:
        return {"breadth_limit": self.breadth_limit, "size_limit": self.size_limit, "seed": self.seed}

    def _round(self, tree: SearchState, actions: list[str]) -> list[tuple[int, str]]:
        if not tree.children[0]:
            return [(0, actions[0])]
        depth = [0] * len(tree.parent)
        for i in range(1, len(tree.parent)):
            depth[i] = depth[tree.edge(i)[0]] + 1
        leaves = [i for i in range(1, len(tree.parent)) if not tree.children[i]]
        deepest = max(depth[i] for i in leaves)
        heap: list[int] = []
        for i in leaves:
            if depth[i] == deepest:
                keyed_heap.push(
                    heap, i, lambda n: -tree.edge(n)[2]
                )  # best score first, TreeQuest's order on ties
        best = [
            keyed_heap.pop(heap, lambda n: -tree.edge(n)[2])
            for _ in range(min(self.breadth_limit, len(heap)))
        ]
        per_action = max(1, self.size_limit // len(actions))
        return [(n, a) for n in best for a in actions for _ in range(per_action)]
