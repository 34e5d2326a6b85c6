"""AB-MCTS-A (node aggregation): TreeQuest's `ABMCTSA`."""

from abmcts.search.ab_mcts_a import ABMCTSA

ALGORITHM = ABMCTSA
