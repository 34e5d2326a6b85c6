"""Final-answer strategies: rank a tree's programs so the first two become the submitted answers.

Every strategy maps the answered nodes of one tree to a full ranking of node ids; `select_programs`
then drops programs whose test outputs repeat an earlier pick and keeps the first `n`. Dropping
repeats is our choice, not the paper's wording ("the two highest-reward programs, ties to the
latest"): two programs with identical test outputs are one answer, so a repeat can never raise
Pass@2 or the official score, and skipping it is never worse. When the top two differ (the usual
case) the result is exactly the paper's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from abmcts.errors import ConfigError
from abmcts.llm.spec import ModelSpec
from abmcts.select.context import SelectionContext
from abmcts.select.params import NoParams, parse_params
from abmcts.select.trees import has_answer, outputs_key

Node = dict[str, Any]
# Whole tree (answered or not) and the task's context -> node ids, best first.
Strategy = Callable[[list[Node], SelectionContext], list[int]]


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


def _reward_based(fn: Callable[[list[Node]], list[int]]) -> Strategy:
    """A strategy of the answered nodes alone (no task view, no parameters)."""
    return lambda nodes, ctx: fn([n for n in nodes if has_answer(n)])


@dataclass(frozen=True)
class StrategyDef:
    """A registered strategy: its ranking function and the dataclass its `params:` must fit."""

    rank: Strategy
    params: type = NoParams


def _registry() -> dict[str, StrategyDef]:
    from abmcts.select.generalisation import GeneralisationParams, generalisation
    from abmcts.select.hedge import HedgeParams, hedge
    from abmcts.select.judge import JudgeParams, judge
    from abmcts.select.ranker import RankerParams, learned_ranker

    return {
        "sakana": StrategyDef(_reward_based(sakana)),
        "reward_earliest": StrategyDef(_reward_based(reward_earliest)),
        "reward_simplicity": StrategyDef(_reward_based(reward_simplicity)),
        "majority_vote": StrategyDef(_reward_based(majority_vote)),
        "weighted_agreement": StrategyDef(_reward_based(partial(weighted_agreement, p=2.0))),
        "generalisation": StrategyDef(generalisation, GeneralisationParams),
        "learned_ranker": StrategyDef(learned_ranker, RankerParams),
        "hedge": StrategyDef(hedge, HedgeParams),
        "judge": StrategyDef(judge, JudgeParams),
    }


STRATEGIES: dict[str, StrategyDef] = _registry()


def get_strategy(name: str) -> StrategyDef:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(
            f"selection.strategy: unknown strategy {name!r} (known: {sorted(STRATEGIES)})"
        ) from None


def strategy_params(name: str, params: Mapping[str, Any] | None) -> Any:
    """The strategy's validated parameters (ConfigError naming `selection.params.<key>` otherwise)."""
    return parse_params(get_strategy(name).params, params, "selection.params")


def rank_programs(tree: dict[str, Any], strategy: str, ctx: SelectionContext | None = None) -> list[int]:
    """Every answered program's id, best first, one per distinct test-output tuple."""
    if ctx is None:
        ctx = SelectionContext(params=strategy_params(strategy, None))
    by_id = {node["id"]: node for node in tree["nodes"]}
    seen: set[str] = set()
    ranked: list[int] = []
    for node_id in get_strategy(strategy).rank(tree["nodes"], ctx):
        node = by_id[node_id]
        key = outputs_key(node)
        if key in seen or not has_answer(node):
            continue
        seen.add(key)
        ranked.append(node_id)
    return ranked


def select_programs(
    tree: dict[str, Any], strategy: str, n: int | None = 2, ctx: SelectionContext | None = None
) -> list[int]:
    """Ids of up to `n` whole programs (all if n is None), best first, distinct test outputs.

    Programs that produced no test output at all (errors) are never selected.
    """
    ranked = rank_programs(tree, strategy, ctx)
    return ranked if n is None else ranked[:n]


def check_selection(selection: Any) -> None:
    """Fail before any work on an unknown strategy, bad `params:`, an unreadable ranker artifact or a
    judge strategy without a judge."""
    from abmcts.select.ranker import load_model, ranker_artifact

    artifact = ranker_artifact(selection.strategy, strategy_params(selection.strategy, selection.params))
    if artifact is not None:
        load_model(artifact)
    if selection.strategy == "judge":
        spec = judge_spec(selection)
        from abmcts.select.judge import judge_problems

        problems = judge_problems(spec)
        if problems:
            raise ConfigError(f"config selection.judge.model={spec.model!r}: {'; '.join(problems)}")


def judge_spec(selection: Any) -> ModelSpec:
    """The judge's model spec from `selection.judge` (ConfigError if missing or malformed)."""
    if selection.judge is None:
        raise ConfigError("config selection.judge: required when selection.strategy=judge")
    return ModelSpec.from_dict(selection.judge, name="selection.judge")
