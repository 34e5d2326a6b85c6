"""Tree search library (numpy only) with TreeQuest's call shape: AB-MCTS-A/-M, multi-model, baselines."""

from __future__ import annotations

from typing import Any

from abmcts.search.ab_mcts_a import ABMCTSA
from abmcts.search.ab_mcts_m import ABMCTSM
from abmcts.search.bandit_ucb import MultiArmedBanditUCB
from abmcts.search.base import Algorithm, top_k
from abmcts.search.errors import SearchInputError
from abmcts.search.repeated_sampling import RepeatedSampling
from abmcts.search.sequential_refinement import SequentialRefinement
from abmcts.search.standard_mcts import StandardMCTS
from abmcts.search.tree import Tree, Trial

ALGORITHMS: dict[str, type[Algorithm]] = {
    cls.name: cls
    for cls in (ABMCTSA, ABMCTSM, RepeatedSampling, SequentialRefinement, StandardMCTS, MultiArmedBanditUCB)
}


def make_algorithm(name: str, **kwargs: Any) -> Algorithm:
    """Build an algorithm by its config name (``ab_mcts_a``, ``ab_mcts_m``, ``repeated_sampling``, ...)."""
    cls = ALGORITHMS.get(name)
    if cls is None:
        raise SearchInputError(f"search algorithm {name!r} is not one of {sorted(ALGORITHMS)}")
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise SearchInputError(f"search algorithm {name!r}: bad arguments {sorted(kwargs)}: {e}") from None


__all__ = [
    "ALGORITHMS",
    "ABMCTSA",
    "ABMCTSM",
    "Algorithm",
    "MultiArmedBanditUCB",
    "RepeatedSampling",
    "SearchInputError",
    "SequentialRefinement",
    "StandardMCTS",
    "Tree",
    "Trial",
    "make_algorithm",
    "top_k",
]
