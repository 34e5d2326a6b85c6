"""Final-answer strategies: rank a tree's programs so the first two become the submitted answers.

Every strategy maps the answered nodes of one tree to a full ranking of node ids; `select_programs`
then drops programs whose test outputs repeat an earlier pick and keeps the first `n`. Dropping
repeats is our choice, not the paper's wording ("the two highest-reward programs, ties to the
latest"): two programs with identical test outputs are one answer, so a repeat can never raise
Pass@2 or the official score, and skipping it is never worse. When the top two differ (the usual
case) the result is exactly the paper's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from abmcts.errors import ConfigError
from abmcts.select.trees import has_answer, outputs_key

Node = dict[str, Any]
Strategy = Callable[[list[Node]], list[int]]


def sakana(nodes: list[Node]) -> list[int]:
    """Highest reward first; ties go to the latest node (largest id), as in Sakana's ARC runs."""
    return [n["id"] for n in sorted(nodes, key=lambda n: (-n["reward"], -n["id"]))]


def reward_earliest(nodes: list[Node]) -> list[int]:
    """Highest reward first; ties go to the earliest node (the cheapest program to have found it)."""
    return [n["id"] for n in sorted(nodes, key=lambda n: (-n["reward"], n["id"]))]


def reward_simplicity(nodes: list[Node]) -> list[int]:
    """Highest reward first; ties go to the shortest code (Occam), then the earliest node."""
    return [n["id"] for n in sorted(nodes, key=lambda n: (-n["reward"], len(n.get("code") or ""), n["id"]))]


def _groups(nodes: list[Node]) -> dict[str, list[Node]]:
    groups: dict[str, list[Node]] = {}
    for node in nodes:
        groups.setdefault(outputs_key(node), []).append(node)
    return groups


def majority_vote(nodes: list[Node]) -> list[int]:
    """Among the top-reward programs, the most common test-output tuples first (self-consistency).

    Groups tie on count -> the group found first wins; a group is represented by its latest
    node. The remaining programs follow in `sakana` order, as fallbacks.
    """
    if not nodes:
        return []
    best = max(n["reward"] for n in nodes)
    groups = _groups([n for n in nodes if n["reward"] == best])
    ordered = sorted(groups.values(), key=lambda g: (-len(g), min(n["id"] for n in g)))
    head = [max(n["id"] for n in g) for g in ordered]
    chosen = set(head)
    return head + [i for i in sakana(nodes) if i not in chosen]


def weighted_agreement(nodes: list[Node], p: float = 2.0) -> list[int]:
    """Score each distinct test-output tuple by the sum of reward**p of the programs producing it.

    Blends reward and agreement: p large -> pure reward; p -> 0 -> pure vote. Ties go to the
    group with the higher best reward, then the later node; each group is represented by its
    best-reward, latest node.
    """
    ranked = []
    for group in _groups(nodes).values():
        rep = max(group, key=lambda n: (n["reward"], n["id"]))
        score = sum(max(n["reward"], 0.0) ** p for n in group)
        ranked.append((score, rep["reward"], rep["id"]))
    ranked.sort(reverse=True)
    return [node_id for _, _, node_id in ranked]


STRATEGIES: dict[str, Strategy] = {
    "sakana": sakana,
    "reward_earliest": reward_earliest,
    "reward_simplicity": reward_simplicity,
    "majority_vote": majority_vote,
    "weighted_agreement": partial(weighted_agreement, p=2.0),
}


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(
            f"selection.strategy: unknown strategy {name!r} (known: {sorted(STRATEGIES)})"
        ) from None


def select_programs(tree: dict[str, Any], strategy: str, n: int | None = 2) -> list[int]:
    """Ids of up to `n` whole programs (all if n is None), best first, distinct test outputs.

    Programs that produced no test output at all (errors) are never selected.
    """
    fn = get_strategy(strategy)
    by_id = {node["id"]: node for node in tree["nodes"]}
    seen: set[str] = set()
    picked: list[int] = []
    for node_id in fn([node for node in tree["nodes"] if has_answer(node)]):
        key = outputs_key(by_id[node_id])
        if key in seen:
            continue
        seen.add(key)
        picked.append(node_id)
        if n is not None and len(picked) == n:
            break
    return picked
