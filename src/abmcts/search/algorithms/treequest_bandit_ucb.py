"""TreeQuest's `MultiArmedBanditUCBAlgo`: UCB1 over models, every answer at the root."""

from abmcts.search.bandit_ucb import MultiArmedBanditUCBAlgo

ALGORITHM = MultiArmedBanditUCBAlgo
