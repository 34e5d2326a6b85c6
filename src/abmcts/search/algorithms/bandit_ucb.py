"""UCB1 over models at the root, chosen per call (ours; TreeQuest's is `treequest_bandit_ucb`)."""

from abmcts.search.bandit_ucb import MultiArmedBanditUCB

ALGORITHM = MultiArmedBanditUCB
