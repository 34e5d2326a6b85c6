"""Baseline: UCB1 bandit over models, always generating at the root (no refinement)."""

from __future__ import annotations

from abmcts.search.base import Algorithm
from abmcts.search.model_choice import ucb_action
from abmcts.search.tree import Tree


class MultiArmedBanditUCB(Algorithm):
    name = "bandit_ucb"

    def _select(self, tree: Tree, actions: list[str]) -> tuple[int, str]:
        # pending trials count as score-0 pulls so a batch spreads over untried models
        totals = {a: list(v) for a, v in tree.totals.items()}
        for t in tree.pending.values():
            totals.setdefault(t.action, [0, 0.0, 0.0])[0] += 1
        return 0, ucb_action(totals, actions)
