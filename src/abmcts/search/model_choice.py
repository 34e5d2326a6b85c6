"""Choosing which model (action) generates a new node, from tree-wide per-action statistics."""

from __future__ import annotations

import math

import numpy as np

from abmcts.search import posteriors

STRATEGIES = ("stack", "thompson", "ucb")


def ucb_action(totals: dict[str, list[float]], actions: list[str]) -> str:
    """UCB1 over the mean score of each action; an untried action goes first (in ``actions`` order)."""
    n_all = sum(totals[a][0] for a in actions if a in totals)
    best, best_val = actions[0], -math.inf
    for a in actions:
        n = totals[a][0] if a in totals else 0
        if n == 0:
            return a
        val = totals[a][1] / n + math.sqrt(2.0 * math.log(n_all) / n)
        if val > best_val:
            best, best_val = a, val
    return best


def thompson_action(dist: str, stats: dict[str, list], actions: list[str], rng: np.random.Generator) -> str:
    """Thompson draw of each action's mean score from its tree-wide conjugate posterior."""
    if len(actions) == 1:
        return actions[0]
    vals = posteriors.draw(dist, [stats.get(a, posteriors.empty()) for a in actions], rng)
    return actions[int(np.argmax(vals))]
