"""Baseline: pure depth. Every call refines the latest (or best) node; models take turns."""

from __future__ import annotations

from typing import Any

from abmcts.search.base import Algorithm
from abmcts.search.model_choice import check_option
from abmcts.search.state import SearchState

REFINE = ("latest", "best")


class SequentialRefinement(Algorithm):
    name = "sequential_refinement"

    def __init__(self, refine: str = "latest", seed: int | None = 0) -> None:
        super().__init__(seed)
        check_option("refine", refine, REFINE)
        self.refine = refine

    def params(self) -> dict[str, Any]:
        return {"refine": self.refine, "seed": self.seed}

    def _select(self, tree: SearchState, actions: list[str]) -> tuple[int, str]:
        action = actions[tree.next_trial % len(actions)]
        if len(tree) == 0:
            return 0, action
        if self.refine == "latest":
            return len(tree), action
        best = max(range(1, len(tree) + 1), key=lambda i: (tree.score[i], -i))
        return best, action
