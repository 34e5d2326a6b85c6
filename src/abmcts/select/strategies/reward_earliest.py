"""`reward_earliest`: highest reward first; ties go to the earliest node (the cheapest program to have found it)."""

from __future__ import annotations

from abmcts.arc.node import TreeNode
from abmcts.select.strategies._ranking import of_answered
from abmcts.select.strategy import StrategyDef


def reward_earliest(nodes: list[TreeNode]) -> list[int]:
    return [n["id"] for n in sorted(nodes, key=lambda n: (-n["reward"], n["id"]))]


STRATEGY = StrategyDef(rank=of_answered(reward_earliest))
