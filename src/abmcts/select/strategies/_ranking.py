"""Ranking pieces several strategies share: reward order, answer groups, reward tiers, scorers."""

from __future__ import annotations

from collections.abc import Callable

from abmcts.arc.node import TreeNode
from abmcts.select.candidates import Candidate
from abmcts.select.context import SelectionContext
from abmcts.select.strategy import Rank, Scorer
from abmcts.select.trees import OutputsKeys, has_answer


def of_answered(fn: Callable[[list[TreeNode]], list[int]]) -> Rank:
    """A strategy of the answered nodes alone (no task view, no parameters)."""
    return lambda nodes, ctx: fn([n for n in nodes if has_answer(n)])


def reward_then_latest(nodes: list[TreeNode]) -> list[int]:
    """Highest reward first; ties go to the latest node (largest id), as in Sakana's ARC runs."""
    return [n["id"] for n in sorted(nodes, key=lambda n: (-n["reward"], -n["id"]))]


def answer_groups(nodes: list[TreeNode]) -> dict[str, list[TreeNode]]:
    """Nodes grouped by their test outputs (one group per distinct answer), in order of first appearance."""
    groups: dict[str, list[TreeNode]] = {}
    key_of = OutputsKeys()
    for node in nodes:
        groups.setdefault(key_of(node), []).append(node)
    return groups


def rank_by(cands: list[Candidate], score: dict[int, float], slack: float) -> list[int]:
    """Candidate node ids: reward tier first (answers within `slack` of the best share a tier), then score."""
    if not cands:
        return []
    best = max(c.reward for c in cands)

    def tier(c: Candidate) -> float:
        return 1.0 if c.reward >= best - slack else c.reward

    ordered = sorted(cands, key=lambda c: (-tier(c), -score[c.node_id], -c.reward, -c.node_id))
    return [c.node_id for c in ordered]


def by_score(scorer: Scorer) -> Rank:
    """The ranking of a strategy that scores candidates: reward tier, then the scorer's score."""

    def rank(nodes: list[TreeNode], ctx: SelectionContext) -> list[int]:
        cands = ctx.candidates(nodes)
        return rank_by(cands, scorer.score(cands, ctx.params), scorer.slack(ctx.params))

    return rank
