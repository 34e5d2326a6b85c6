"""TreeQuest's `BestFirstSearchAlgo`: expand the best unexpanded node."""

from abmcts.search.best_first_search import BestFirstSearchAlgo

ALGORITHM = BestFirstSearchAlgo
