"""Tree search library (numpy only): TreeQuest's public API (``import abmcts.search as tq``) with fast
flat internals, seeding and JSON checkpoints; AB-MCTS-A/-M, multi-model, TreeQuest's baselines and ours."""

from __future__ import annotations

from typing import Any

from abmcts.search import vis
from abmcts.search.ab_mcts_a import ABMCTSA
from abmcts.search.ab_mcts_m import ABMCTSM
from abmcts.search.bandit_ucb import MultiArmedBanditUCB, MultiArmedBanditUCBAlgo
from abmcts.search.base import Algorithm, GenerateFn, RankingFn, top_k
from abmcts.search.best_first_search import BestFirstSearchAlgo
from abmcts.search.errors import InvalidResultError, SearchInputError
from abmcts.search.fixed_branching_mcts import FixedBranchingMCTS
from abmcts.search.mixed_model import ABMCTSMAdvancedConfig
from abmcts.search.priors import BetaPrior, GaussianPrior, PriorConfig
from abmcts.search.repeated_sampling import RepeatedSampling
from abmcts.search.sequential_refinement import SequentialRefinement
from abmcts.search.standard_mcts import StandardMCTS, softmax
from abmcts.search.state import HeapItem, Observation, SearchState, Trial, TrialStore
from abmcts.search.tree import Node, Tree
from abmcts.search.tree_of_thoughts_bfs import TreeOfThoughtsBFSAlgo
from abmcts.search.vis import (
    AlgoMetrics,
    DependencyNotFoundError,
    EdgeSnapshot,
    InvalidStateError,
    NodeSnapshot,
    RenderError,
    SecurityWarning,
    TrialSnapshot,
    VisualizationError,
    VisualizationSnapshot,
    VisualizerAdapter,
    build_snapshot,
    dump_snapshot,
    mermaid_source,
    register_adapter,
    render,
    render_dot,
    render_graphviz,
    render_html,
    render_mermaid,
    visualize_tree_graphviz,
)

# TreeQuest's type names (treequest.types)
GenerateFnType, RankingFnType, StateScoreType, TrialId, NodeId = (
    GenerateFn,
    RankingFn,
    tuple[Any, float],
    str,
    int,
)
# TreeQuest's per-algorithm state types (for type hints): here every algorithm uses one SearchState
ABMCTSAAlgoState = ABMCTSMState = BFSState = MCTSState = ToTBFSState = UCBState = SearchState

ALGORITHMS: dict[str, type[Algorithm]] = {
    cls.name: cls
    for cls in (
        ABMCTSA,
        ABMCTSM,
        RepeatedSampling,
        SequentialRefinement,
        FixedBranchingMCTS,
        MultiArmedBanditUCB,
        StandardMCTS,
        MultiArmedBanditUCBAlgo,
        BestFirstSearchAlgo,
        TreeOfThoughtsBFSAlgo,
    )
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
    "ABMCTSAAlgoState",
    "ABMCTSM",
    "ABMCTSMState",
    "BFSState",
    "MCTSState",
    "ToTBFSState",
    "UCBState",
    "softmax",
    "ABMCTSMAdvancedConfig",
    "Algorithm",
    "BestFirstSearchAlgo",
    "BetaPrior",
    "FixedBranchingMCTS",
    "GenerateFnType",
    "NodeId",
    "RankingFnType",
    "StateScoreType",
    "TrialId",
    "vis",
    "GaussianPrior",
    "MultiArmedBanditUCB",
    "MultiArmedBanditUCBAlgo",
    "HeapItem",
    "Node",
    "Observation",
    "PriorConfig",
    "RepeatedSampling",
    "InvalidResultError",
    "SearchInputError",
    "SearchState",
    "SequentialRefinement",
    "StandardMCTS",
    "Tree",
    "TreeOfThoughtsBFSAlgo",
    "Trial",
    "TrialStore",
    "build_snapshot",
    "make_algorithm",
    "render",
    "render_dot",
    "render_mermaid",
    "top_k",
    "visualize_tree_graphviz",
    "AlgoMetrics",
    "DependencyNotFoundError",
    "EdgeSnapshot",
    "InvalidStateError",
    "NodeSnapshot",
    "RenderError",
    "SecurityWarning",
    "TrialSnapshot",
    "VisualizationError",
    "VisualizationSnapshot",
    "VisualizerAdapter",
    "dump_snapshot",
    "mermaid_source",
    "register_adapter",
    "render_graphviz",
    "render_html",
]
