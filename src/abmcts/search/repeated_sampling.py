"""Baseline: pure width. Every call generates a fresh answer at the root; models take turns."""

from __future__ import annotations

from abmcts.search.base import Algorithm
from abmcts.search.state import SearchState


class RepeatedSampling(Algorithm):
    name = "repeated_sampling"

    def _select(self, tree: SearchState, actions: list[str]) -> tuple[int, str]:
        return 0, actions[tree.next_trial % len(actions)]
