"""UCB1 bandits over models, always generating at the root (no refinement).

``MultiArmedBanditUCBAlgo`` is TreeQuest's: one arm per ask, a batch repeats it. ``MultiArmedBanditUCB``
(config ``bandit_ucb``) chooses per trial, counting running trials as score-0 pulls so a batch spreads.
"""

from __future__ import annotations

import math
from typing import Any

from abmcts.search.base import Algorithm
from abmcts.search.errors import SearchInputError
from abmcts.search.model_choice import ucb_action
from abmcts.search.state import SearchState, Trial


class MultiArmedBanditUCB(Algorithm):
    name = "bandit_ucb"

    def _select(self, tree: SearchState, actions: list[str]) -> tuple[int, str]:
        # pending trials count as score-0 pulls so a batch spreads over untried models
        totals = {a: list(v) for a, v in tree.totals.items()}
        for t in tree.pending.values():
            totals.setdefault(t.action, [0, 0.0, 0.0])[0] += 1
        return 0, ucb_action(totals, actions)


class MultiArmedBanditUCBAlgo(Algorithm):
    name = "treequest_bandit_ucb"

    def __init__(self, *, exploration_weight: float = math.sqrt(2), seed: int | None = 0) -> None:
        super().__init__(seed)
        if isinstance(exploration_weight, bool) or not isinstance(exploration_weight, int | float):
            raise SearchInputError(f"exploration_weight={exploration_weight!r} must be a number")
        self.exploration_weight = float(exploration_weight)

    def params(self) -> dict[str, Any]:
        return {"exploration_weight": self.exploration_weight, "seed": self.seed}

    def _ask(self, tree: SearchState, batch_size: int, actions: list[str]) -> list[Trial]:
        action = ucb_action(tree.totals, actions, self.exploration_weight**2)
        return [tree.new_trial(0, action) for _ in range(batch_size)]
