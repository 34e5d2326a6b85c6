"""`weighted_agreement`: each distinct test-output tuple scores the sum of reward**2 of the programs producing it."""

from __future__ import annotations

from abmcts.arc.node import TreeNode
from abmcts.select.strategies._ranking import answer_groups, of_answered
from abmcts.select.strategy import StrategyDef


def weighted_agreement(nodes: list[TreeNode], p: float = 2.0) -> list[int]:
    """Blends reward and agreement: p large -> pure reward; p -> 0 -> pure vote. Ties go to the
    group with the higher best reward, then the later node; each group is represented by its
    best-reward, latest node."""
    ranked = []
    for group in answer_groups(nodes).values():
        rep = max(group, key=lambda n: (n["reward"], n["id"]))
        score = sum(max(n["reward"], 0.0) ** p for n in group)
        ranked.append((score, rep["reward"], rep["id"]))
    ranked.sort(reverse=True)
    return [node_id for _, _, node_id in ranked]


STRATEGY = StrategyDef(rank=of_answered(weighted_agreement))
