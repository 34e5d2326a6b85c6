"""UCT with a fixed branching factor (ours; TreeQuest's StandardMCTS is `treequest_standard_mcts`)."""

from abmcts.search.fixed_branching_mcts import FixedBranchingMCTS

ALGORITHM = FixedBranchingMCTS
