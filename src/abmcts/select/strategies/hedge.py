"""`hedge`: the second attempt covers a different hypothesis when the evidence is split.

The first pick is the base scorer's best answer. If other answers in its reward tier score within
`margin` of it (the evidence is split), the second pick is the one maximising
`score + diversity * dissimilarity(first, answer)`, where dissimilarity is the share of test cells
that differ (1 for a different size): two near-identical answers mostly fail together, so a hedge
bets on the other explanation. Otherwise the base order stands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abmcts.arc.node import TreeNode
from abmcts.select.context import SelectionContext
from abmcts.select.ranker import DEFAULT_ARTIFACT
from abmcts.select.strategies._base import base_artifact, base_of, scoring_strategies
from abmcts.select.strategies._ranking import rank_by
from abmcts.select.strategy import StrategyDef, get_strategy


@dataclass(frozen=True)
class HedgeParams:
    base: str = "learned_ranker"  # a strategy that scores candidates (with its default parameters)
    margin: float = 1.0  # score distance within which the evidence counts as split
    diversity: float = 1.0  # weight of dissimilarity from the first pick
    artifact: str = DEFAULT_ARTIFACT  # the learned ranker's artifact, for a base that takes one

    def __post_init__(self) -> None:
        if get_strategy(self.base, "selection.params.base").scorer is None:
            known = ", ".join(scoring_strategies())
            raise ValueError(
                f"base must be one of {known} (strategies that score candidates), got {self.base!r}"
            )
        if self.margin < 0 or self.diversity < 0:
            raise ValueError(f"margin and diversity must be >= 0, got {self.margin!r}/{self.diversity!r}")


def dissimilarity(a: list, b: list) -> float:
    """Mean over test inputs of the share of differing cells (1 for a missing output or another size)."""
    if not a:
        return 1.0
    total = 0.0
    for x, y in zip(a, b, strict=False):
        if x is None or y is None:
            total += 1.0
            continue
        gx, gy = np.asarray(x), np.asarray(y)
        total += 1.0 if gx.shape != gy.shape else float(np.mean(gx != gy))
    return total / len(a)


def hedge(nodes: list[TreeNode], ctx: SelectionContext) -> list[int]:
    p: HedgeParams = ctx.params
    cands = ctx.candidates(nodes)
    base, base_params = base_of(p)
    assert base.scorer is not None  # HedgeParams checked it
    scores = base.scorer.score(cands, base_params)
    slack = base.scorer.slack(base_params)
    order = rank_by(cands, scores, slack)
    if len(order) < 2:
        return order
    by_id = {c.node_id: c for c in cands}
    first = by_id[order[0]]
    best = max(c.reward for c in cands)
    split = [
        by_id[i]
        for i in order[1:]
        if by_id[i].reward >= best - slack and scores[i] >= scores[first.node_id] - p.margin
    ]
    if not split:
        return order
    second = max(
        split,
        key=lambda c: (
            scores[c.node_id] + p.diversity * dissimilarity(first.test_outputs, c.test_outputs),
            c.node_id,
        ),
    )
    return [first.node_id, second.node_id, *(i for i in order[1:] if i != second.node_id)]


STRATEGY = StrategyDef(rank=hedge, params=HedgeParams, artifact=base_artifact)
