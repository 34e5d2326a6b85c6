"""`learned_ranker`: candidates scored by the logistic model of a ranker artifact (`abmcts.select.ranker`).

The default artifact (`ranker_v1.json`) was trained on ARC-AGI-1 training trees only; tasks it was
trained on are counted in `selection.json` as not held out.
"""

from __future__ import annotations

from dataclasses import dataclass

from abmcts.select.candidates import Candidate
from abmcts.select.ranker import DEFAULT_ARTIFACT, load_model, training_slack
from abmcts.select.strategies._ranking import by_score
from abmcts.select.strategy import Scorer, StrategyDef


@dataclass(frozen=True)
class RankerParams:
    artifact: str = DEFAULT_ARTIFACT  # a file name beside abmcts/select/ranker.py, or a path
    reward_slack: float | None = None  # as in `generalisation`; None: the slack the model was trained with

    def __post_init__(self) -> None:
        if self.reward_slack is not None and not 0.0 <= self.reward_slack <= 1.0:
            raise ValueError(f"reward_slack must be in [0, 1], got {self.reward_slack!r}")


def _scores(cands: list[Candidate], p: RankerParams) -> dict[int, float]:
    model = load_model(p.artifact)
    return {c.node_id: model.score(c) for c in cands}


def _slack(p: RankerParams) -> float:
    return training_slack(p.artifact) if p.reward_slack is None else p.reward_slack


SCORER = Scorer(score=_scores, slack=_slack)
STRATEGY = StrategyDef(
    rank=by_score(SCORER), params=RankerParams, artifact=lambda p: p.artifact, scorer=SCORER
)
