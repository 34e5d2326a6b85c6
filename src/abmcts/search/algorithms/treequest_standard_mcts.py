"""TreeQuest's `StandardMCTS`: UCT descent, then samples_per_action expansions per model."""

from abmcts.search.standard_mcts import StandardMCTS

ALGORITHM = StandardMCTS
