"""`majority_vote`: among the top-reward programs, the most common test-output tuples first (self-consistency)."""

from __future__ import annotations

from abmcts.arc.node import TreeNode
from abmcts.select.strategies._ranking import answer_groups, of_answered, reward_then_latest
from abmcts.select.strategy import StrategyDef


def majority_vote(nodes: list[TreeNode]) -> list[int]:
    """Groups tie on count -> the group found first wins; a group is represented by its latest
    node. The remaining programs follow in `sakana` order, as fallbacks."""
    if not nodes:
        return []
    best = max(n["reward"] for n in nodes)
    groups = answer_groups([n for n in nodes if n["reward"] == best])
    ordered = sorted(groups.values(), key=lambda g: (-len(g), min(n["id"] for n in g)))
    head = [max(n["id"] for n in g) for g in ordered]
    chosen = set(head)
    return head + [i for i in reward_then_latest(nodes) if i not in chosen]


STRATEGY = StrategyDef(rank=of_answered(majority_vote))
