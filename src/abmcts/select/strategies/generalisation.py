"""`generalisation`: among the best-fitting answers, prefer the one with evidence it captured the rule.

Signals (each weight can be set to 0 in `conf/selection/generalisation.yaml` to ablate it):
- agreement: independent programs reached the same test outputs, counted by root lineage (a
  refinement chain agreeing with itself is one vote) and by model (different biases agreeing);
- plausibility: the test outputs obey the relations every demonstration obeys (size, palette,
  symmetry, not the unchanged input, not blank), see `abmcts.select.plausibility`;
- simplicity: shorter code (Occam);
- recency: found late in the search (Sakana's tie-break), kept as a small final tie-break.

Leave-one-out in the literal sense is not available: every prompt shows every demonstration, so no
program was found without seeing one (see docs/CONTRACTS.md). Reward stays the first key unless
`reward_slack` lets answers within that much of the best reward compete on evidence too.
"""

from __future__ import annotations

from dataclasses import dataclass

from abmcts.select.candidates import Candidate
from abmcts.select.plausibility import CHECKS
from abmcts.select.strategies._ranking import by_score
from abmcts.select.strategy import Scorer, StrategyDef


@dataclass(frozen=True)
class GeneralisationParams:
    agreement: float = 1.0  # weight of log(1 + independent root lineages)
    models: float = 0.5  # weight of the number of distinct models
    plausibility: float = 1.0  # weight of the mean plausibility check pass rate
    simplicity: float = 0.0  # weight of -log(code chars)
    recency: float = 0.01  # weight of when the answer was last found (share of the budget)
    reward_slack: float = 0.0  # answers within this much of the best reward compete on evidence

    def __post_init__(self) -> None:
        if not 0.0 <= self.reward_slack <= 1.0:
            raise ValueError(f"reward_slack must be in [0, 1], got {self.reward_slack!r}")


def evidence(c: Candidate, p: GeneralisationParams) -> float:
    f = c.features
    plaus = sum(f[f"plaus_{name}"] for name in CHECKS) / len(CHECKS)
    return (
        p.agreement * f["log_lineages"]
        + p.models * f["models"]
        + p.plausibility * plaus
        - p.simplicity * f["log_code_chars"]
        + p.recency * f["last_found"]
    )


def _scores(cands: list[Candidate], p: GeneralisationParams) -> dict[int, float]:
    return {c.node_id: evidence(c, p) for c in cands}


SCORER = Scorer(score=_scores, slack=lambda p: p.reward_slack)
STRATEGY = StrategyDef(rank=by_score(SCORER), params=GeneralisationParams, scorer=SCORER)
