"""Per-model usage: calls, tokens and cost, and how each task's calls were shared between models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from abmcts.arc.node import TreeNode


@dataclass
class ModelUsage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def add(self, node: TreeNode) -> None:
        self.calls += 1
        self.prompt_tokens += int(node.get("prompt_tokens") or 0)
        self.completion_tokens += int(node.get("completion_tokens") or 0)
        self.cost += float(node.get("cost") or 0.0)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tokens": self.prompt_tokens + self.completion_tokens}


def model_name(node: TreeNode) -> str:
    return str(node.get("model") or "unknown")


def usage_by_model(trees: Mapping[str, dict[str, Any]]) -> dict[str, ModelUsage]:
    """Totals per model over all trees, sorted by model name."""
    usage: dict[str, ModelUsage] = {}
    for tree in trees.values():
        nodes: list[TreeNode] = tree["nodes"]
        for node in nodes:
            usage.setdefault(model_name(node), ModelUsage()).add(node)
    return dict(sorted(usage.items()))


def call_share_by_task(trees: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """task id -> {model: share of that task's calls}; a task with no calls maps to {}."""
    shares = {}
    for task_id, tree in sorted(trees.items()):
        counts: dict[str, int] = {}
        nodes: list[TreeNode] = tree["nodes"]
        for node in nodes:
            counts[model_name(node)] = counts.get(model_name(node), 0) + 1
        total = sum(counts.values())
        shares[task_id] = {m: c / total for m, c in sorted(counts.items())}
    return shares
