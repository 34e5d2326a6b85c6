"""Per-algorithm node metrics for the pictures (TreeQuest 0.3's ``VisualizerAdapter`` and ``register_adapter``).

TreeQuest looks adapters up by the state's class name (``MCTSState``, ...). Every algorithm here uses one
``SearchState``, so the key is TreeQuest's state class name for TreeQuest's algorithms and the
algorithm's config name (``state.algorithm``) for the others; ``register_adapter`` takes either.
Metric values are plain text (TreeQuest writes HTML lists; our pages show text, escaped).
"""

from __future__ import annotations

import math
import statistics
import warnings
from typing import Any, Protocol

from abmcts.search import posteriors
from abmcts.search.state import SearchState
from abmcts.search.tree import Node

# our algorithm name -> TreeQuest's state class name
TREEQUEST_STATE_NAMES = {
    "ab_mcts_a": "ABMCTSAAlgoState",
    "ab_mcts_m": "ABMCTSMState",
    "treequest_standard_mcts": "MCTSState",
    "best_first_search": "BFSState",
    "tree_of_thoughts_bfs": "ToTBFSState",
    "treequest_bandit_ucb": "UCBState",
}


class VisualizerAdapter(Protocol):
    def extract_node_metrics(self, algo_state: Any, node: Node) -> dict[str, Any]: ...

    def get_algorithm_name(self, algo_state: Any) -> str: ...


def _metric(name: str, value: str) -> dict[str, str]:
    return {"display_name": name, "display_value": value}


class _Named:
    """No metrics, just a name (our baselines)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def extract_node_metrics(self, algo_state: SearchState, node: Node) -> dict[str, Any]:
        return {}

    def get_algorithm_name(self, algo_state: SearchState) -> str:
        return self.name


class ABMCTSAAdapter(_Named):
    """Posteriors at the node: per model, GEN (a new child) and CONT (going deeper)."""

    def extract_node_metrics(self, algo_state: SearchState, node: Node) -> dict[str, Any]:
        st = algo_state.stats["nodes"][node.expand_idx + 1]
        dist = algo_state.params.get("dist", "gaussian")
        if not st["act"] and not st["gen"]:
            return {}
        parts = [f"{a} ~ {posteriors.describe(dist, v)}" for a, v in sorted(st["act"].items())]
        for kind in ("gen", "cont"):
            parts += [
                f"{kind.upper()}[{k}] ~ {posteriors.describe(dist, v)}" for k, v in sorted(st[kind].items())
            ]
        return {"action_probas": _metric("Action Probabilities", "; ".join(parts))}


class ABMCTSMAdapter(_Named):
    """Scores below the node, by model and by child, and whether the node would be pruned."""

    def extract_node_metrics(self, algo_state: SearchState, node: Node) -> dict[str, Any]:
        i = node.expand_idx + 1
        rec = algo_state.stats["nodes"][i]
        by_action: dict[str, list[float]] = {}
        by_child: dict[int, list[float]] = {}
        for j, entry in enumerate(rec["g"]):
            for key, (n, s, _) in entry.items():
                if key != "*" and n > 0:
                    by_action.setdefault(key, [0, 0.0])
                    by_action[key][0] += n
                    by_action[key][1] += s
            pooled = entry.get("*")
            if pooled and pooled[0] > 0:
                by_child[j] = pooled[:2]
        if not by_action:
            return {}
        total = len(algo_state)
        p = algo_state.params
        h = rec["h"].values()
        prunable = (
            p.get("enable_pruning", True)
            and sum(h) >= p.get("min_subtree_size_for_pruning", 4)
            and max(h) / sum(h) >= p.get("same_score_proportion_threshold", 0.75)
        )
        actions = "; ".join(
            f"{a}: len = {n}, mean = {s / n:.3f}, UCB Score = {s / n + math.sqrt(2 * math.log(total) / n):.3f}"
            for a, (n, s) in sorted(by_action.items())
        )
        children = "; ".join(f"child #{j}: n={n}, mean={s / n:.3f}" for j, (n, s) in sorted(by_child.items()))
        return {
            "prunable": _metric("Prunable", "Yes" if prunable else "No"),
            "rewards_by_action": _metric("Rewards by Action", actions),
            "rewards_by_child": _metric("Rewards by Child", children),
        }


class StandardMCTSAdapter(_Named):
    def extract_node_metrics(self, algo_state: SearchState, node: Node) -> dict[str, Any]:
        w = algo_state.params.get("exploration_weight", math.sqrt(2))
        visits, sums, priors = algo_state.visit_counts, algo_state.value_sums, algo_state.priors
        parent_visits = visits.get(node.parent.expand_idx, 1) if node.parent else 1
        n = visits.get(node.expand_idx, 0)
        mean = sums.get(node.expand_idx, 0.0) / n if n > 0 else None
        prior = priors.get(node.expand_idx)
        uct = None
        if mean is not None and parent_visits > 1 and prior is not None:
            uct = mean + w * prior * math.sqrt(math.log(parent_visits) / n)
        return {
            "visits": _metric("Visits", f"{n:d}"),
            "mean": _metric("Mean (Exploitation)", "N/A" if mean is None else f"{mean:.3f}"),
            "prior": _metric("Prior", "N/A" if prior is None else f"{prior:.3f}"),
            "uct_score": _metric("UCT Score", "N/A" if uct is None else f"{uct:.3f}"),
        }


class BestFirstSearchAdapter(_Named):
    def extract_node_metrics(self, algo_state: SearchState, node: Node) -> dict[str, Any]:
        ranked = sorted(algo_state.leaves, key=lambda item: item.sort_index)
        rank = {item.node.expand_idx: (r, item.score) for r, item in enumerate(ranked, 1)}
        r, score = rank.get(node.expand_idx, (None, None))
        return {
            "is_leaf": _metric("Is Leaf Node", "No" if r is None else "Yes"),
            "leaf_rank": _metric("Leaf Rank (1-indexed)", "N/A" if r is None else str(r)),
            "leaf_score": _metric("Leaf Score", "N/A" if score is None else f"{score:.4f}"),
        }


class MultiArmedBanditUCBAdapter(_Named):
    def extract_node_metrics(self, algo_state: SearchState, node: Node) -> dict[str, Any]:
        by_action = algo_state.scores_by_action
        total = sum(len(v) for v in by_action.values())
        if total == 0:
            return {}
        w = algo_state.params.get("exploration_weight", math.sqrt(2))
        rows = []
        for action, scores in sorted(by_action.items()):
            mean = statistics.mean(scores)
            ucb = mean + w * math.sqrt(math.log(total) / len(scores))
            sd = statistics.stdev(scores) if len(scores) > 1 else 0.0
            rows.append(
                f"{action}: UCB Score = {ucb:.3f} (len = {len(scores)}, min = {min(scores):.3f}, "
                f"max = {max(scores):.3f}, mean = {mean:.3f}, median = {statistics.median(scores):.3f}, "
                f"stdev = {sd:.3f})"
            )
        return {
            "total_len": _metric("Total Samples Recorded", str(total)),
            "action_stats": _metric("Action Statistics", "; ".join(rows)),
        }


_REGISTRY: dict[str, VisualizerAdapter] = {
    "ABMCTSAAlgoState": ABMCTSAAdapter("ABMCTSA"),
    "ABMCTSMState": ABMCTSMAdapter("ABMCTSM"),
    "MCTSState": StandardMCTSAdapter("StandardMCTS"),
    "BFSState": BestFirstSearchAdapter("BestFirstSearch"),
    "ToTBFSState": _Named("TreeOfThoughtsBFS"),
    "UCBState": MultiArmedBanditUCBAdapter("MultiArmedBanditUCB"),
    "repeated_sampling": _Named("RepeatedSampling"),
    "sequential_refinement": _Named("SequentialRefinement"),
    "standard_mcts": _Named("FixedBranchingMCTS"),
    "bandit_ucb": _Named("MultiArmedBanditUCB (per trial)"),
}


def state_type_name(algo_state: Any) -> str:
    """The registry key of a state (see the module docstring)."""
    if isinstance(algo_state, SearchState):
        return TREEQUEST_STATE_NAMES.get(algo_state.algorithm, algo_state.algorithm)
    return type(algo_state).__name__


def register_adapter(state_type_name: str, adapter: VisualizerAdapter) -> None:
    """Use ``adapter`` for states of that type name (a warning when one is replaced, as in TreeQuest)."""
    if state_type_name in _REGISTRY:
        warnings.warn(
            f"Adapter for state type '{state_type_name}' is already registered. Overwriting.", stacklevel=2
        )
    _REGISTRY[state_type_name] = adapter


def get_adapter(algo_state: Any) -> VisualizerAdapter | None:
    name = state_type_name(algo_state)
    adapter = _REGISTRY.get(name)
    if adapter is None:
        warnings.warn(
            f"No adapter found for state type '{name}'. Visualization may be limited; "
            "register one with register_adapter().",
            stacklevel=3,
        )
    return adapter
