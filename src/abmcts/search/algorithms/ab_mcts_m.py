"""AB-MCTS-M (hierarchical mixed model): TreeQuest's `ABMCTSM`."""

from abmcts.search.ab_mcts_m import ABMCTSM

ALGORITHM = ABMCTSM
