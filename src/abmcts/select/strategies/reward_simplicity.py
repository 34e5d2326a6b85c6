"""`reward_simplicity`: highest reward first; ties go to the shortest code (Occam), then the earliest node."""

from __future__ import annotations

from abmcts.arc.node import TreeNode
from abmcts.select.strategies._ranking import of_answered
from abmcts.select.strategy import StrategyDef


def reward_simplicity(nodes: list[TreeNode]) -> list[int]:
    return [n["id"] for n in sorted(nodes, key=lambda n: (-n["reward"], len(n.get("code") or ""), n["id"]))]


STRATEGY = StrategyDef(rank=of_answered(reward_simplicity))
