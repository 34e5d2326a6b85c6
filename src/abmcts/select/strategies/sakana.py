"""`sakana`: highest reward first; ties go to the latest node (largest id), as in Sakana's ARC runs."""

from abmcts.select.strategies._ranking import of_answered, reward_then_latest
from abmcts.select.strategy import StrategyDef

STRATEGY = StrategyDef(rank=of_answered(reward_then_latest))
