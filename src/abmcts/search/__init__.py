"""Tree search library (numpy only): TreeQuest's public API (``import abmcts.search as tq``) with fast
flat internals, seeding and JSON checkpoints; AB-MCTS-A/-M, multi-model, TreeQuest's baselines and ours."""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import Any

from abmcts.search.ab_mcts_a import ABMCTSA
from abmcts.search.ab_mcts_m import ABMCTSM
from abmcts.search.algorithms import builtin_algorithms, make_algorithm
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


def __getattr__(name: str) -> Any:
    """`ALGORITHMS`, and TreeQuest's picture names (`vis`, `render`, ...: the public names not defined
    above), loaded on first use (PEP 562): running a search never imports `search.vis` or what its HTML
    pictures need (`abmcts.treeview`), so a DVC search stage does not depend on them."""
    if name == "ALGORITHMS":  # every built-in algorithm by name, read-only: the registry is the one list
        globals()[name] = MappingProxyType(builtin_algorithms())
        return globals()[name]
    if name in __all__:
        vis = importlib.import_module("abmcts.search.vis")  # by name: no static import of vis
        return vis if name == "vis" else getattr(vis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    "ColorMap",
    "GrayscaleColorMap",
    "InterpolatedColorMap",
    "get_colormap",
    "list_colormap_names",
    "resolve_colormap",
]
