"""Choosing which model (action) generates a new node, from tree-wide per-action statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from abmcts.search import posteriors
from abmcts.search.errors import SearchInputError


def check_option(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise SearchInputError(f"{name}={value!r} is not one of {list(allowed)}")


def renamed(new: str, value: Any, default: Any, old: str, old_value: Any) -> Any:
    """The value of an argument that TreeQuest calls ``new`` and we used to call ``old`` (either may be given)."""
    if old_value is None:
        return value
    if value != default and value != old_value:
        raise SearchInputError(f"{new}={value!r} and its old name {old}={old_value!r} disagree")
    return old_value


def check_reward_average_priors(value: Any) -> float | dict[str, float] | None:
    """TreeQuest's ``reward_average_priors``: None, one prior mean score, or one per action name."""
    if value is None:
        return None
    out = {str(k): v for k, v in value.items()} if isinstance(value, dict) else {"": value}
    for k, v in out.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            where = "reward_average_priors" + (f"[{k!r}]" if k else "")
            raise SearchInputError(f"{where}={v!r} must be a number in [0, 1]")
    return {k: float(v) for k, v in out.items()} if isinstance(value, dict) else float(value)


def ucb_action(totals: dict[str, list[float]], actions: list[str], weight2: float = 2.0) -> str:
    """UCB1 over the mean score of each action (``weight2``: the squared exploration weight, as in
    ``mean + sqrt(weight2 * ln N / n)``); an untried action goes first (in ``actions`` order)."""
    n_all = sum(totals[a][0] for a in actions if a in totals)
    best, best_val = actions[0], -math.inf
    for a in actions:
        n = totals[a][0] if a in totals else 0
        if n == 0:
            return a
        val = totals[a][1] / n + math.sqrt(weight2 * math.log(n_all) / n)
        if val > best_val:
            best, best_val = a, val
    return best


STRATEGIES = ("stack", "multiarm_bandit_thompson", "multiarm_bandit_ucb")  # TreeQuest's names
STRATEGY_ALIASES = {"thompson": "multiarm_bandit_thompson", "ucb": "multiarm_bandit_ucb"}  # our old spellings
THOMPSON, UCB = STRATEGIES[1], STRATEGIES[2]


def model_selection_strategy(value: str) -> str:
    """TreeQuest's name of a model-selection strategy (our old short names accepted)."""
    value = STRATEGY_ALIASES.get(value, value)
    check_option("model_selection_strategy", value, STRATEGIES)
    return value


def thompson_action(
    dist: str,
    stats: dict[str, posteriors.Stats],
    actions: list[str],
    rng: np.random.Generator,
    prior: Sequence[Any] | None = None,
) -> str:
    """Thompson draw of each action's mean score from its tree-wide conjugate posterior."""
    if len(actions) == 1:
        return actions[0]
    vals = posteriors.draw(dist, [stats.get(a, posteriors.empty()) for a in actions], rng, prior)
    return actions[int(np.argmax(vals))]
