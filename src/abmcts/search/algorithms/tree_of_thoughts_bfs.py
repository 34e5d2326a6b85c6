"""TreeQuest's `TreeOfThoughtsBFSAlgo`: level by level, the best leaves."""

from abmcts.search.tree_of_thoughts_bfs import TreeOfThoughtsBFSAlgo

ALGORITHM = TreeOfThoughtsBFSAlgo
