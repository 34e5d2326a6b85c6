"""What a selection strategy is, how one is found by name, and how its ranking becomes the picks.

A strategy `foo` is the module `abmcts.select.strategies.foo` (or a dotted module of your own, e.g.
`selection.strategy: mypackage.toy`) holding `STRATEGY = StrategyDef(...)`; `conf/selection/foo.yaml`
names it. Every strategy maps a tree's nodes to a ranking of node ids; `rank_programs` then drops
programs whose test outputs repeat an earlier pick. Dropping repeats is our choice, not the paper's
wording ("the two highest-reward programs, ties to the latest"): two programs with identical test
outputs are one answer, so a repeat can never raise Pass@2 or the official score, and skipping it is
never worse. When the top two differ (the usual case) the result is exactly the paper's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from abmcts.arc.node import TreeNode
from abmcts.registry import Registry
from abmcts.select.candidates import Candidate
from abmcts.select.context import SelectionContext
from abmcts.select.judge import check_judge
from abmcts.select.params import NoParams, parse_params
from abmcts.select.ranker import load_model
from abmcts.select.trees import OutputsKeys, has_answer

# The whole tree (answered or not) and the task's context -> node ids, best first.
Rank = Callable[[list[TreeNode], SelectionContext], list[int]]


def _no_artifact(params: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Scorer:
    """How a strategy that scores candidate answers scores them, so another strategy can build on it.

    `score(candidates, params)`: node id -> score, higher is better; `slack(params)`: answers within
    this much of the best reward compete on score (the reward tier, see `strategies._ranking.rank_by`).
    """

    score: Callable[[list[Candidate], Any], dict[int, float]]
    slack: Callable[[Any], float]


@dataclass(frozen=True)
class StrategyDef:
    """One selection strategy: its ranking, its parameters and what the pipeline must know about it.

    - `rank`: the tree and the context -> node ids, best first (`ctx.params` is a `params` instance).
    - `params`: the frozen dataclass `selection.params` must fit; its `__post_init__` raises
      ValueError for a bad value, which becomes one config error before any work.
    - `needs_judge`: `rank` calls `ctx.judge`, so `selection.judge` must name a model.
    - `artifact(params)`: the ranker artifact (`abmcts.select.ranker`) it reads, or None; it is loaded
      before any work, and the tasks it was trained on are counted as not held out.
    - `scorer`: set by strategies that score candidates (hedge and judge-style wrappers can use it).
    """

    rank: Rank
    params: type = NoParams
    needs_judge: bool = False
    artifact: Callable[[Any], str | None] = _no_artifact
    scorer: Scorer | None = None


REGISTRY: Registry[StrategyDef] = Registry("selection strategy", "abmcts.select.strategies", "STRATEGY")


def get_strategy(name: str, field: str = "selection.strategy") -> StrategyDef:
    """The strategy `name` (a built-in name or a dotted module); ConfigError naming `field` if none."""
    return REGISTRY.get(name, field)


class _BuiltIns(Mapping[str, StrategyDef]):
    """The built-in strategies by name, each module imported on first use."""

    def __getitem__(self, name: str) -> StrategyDef:
        if name not in REGISTRY.names():
            raise KeyError(name)
        return get_strategy(name)

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY.names())

    def __len__(self) -> int:
        return len(REGISTRY.names())


STRATEGIES: Mapping[str, StrategyDef] = _BuiltIns()


def strategy_params(name: str, params: Mapping[str, Any] | None) -> Any:
    """The strategy's validated parameters (ConfigError naming `selection.params.<key>` otherwise)."""
    return parse_params(get_strategy(name).params, params, "selection.params")


def rank_programs(tree: Mapping[str, Any], strategy: str, ctx: SelectionContext | None = None) -> list[int]:
    """Every answered program's id, best first, one per distinct test-output tuple."""
    if ctx is None:
        ctx = SelectionContext(params=strategy_params(strategy, None))
    by_id = {node["id"]: node for node in tree["nodes"]}
    key_of = OutputsKeys()
    seen: set[str] = set()
    ranked: list[int] = []
    for node_id in get_strategy(strategy).rank(tree["nodes"], ctx):
        node = by_id[node_id]
        key = key_of(node)
        if key in seen or not has_answer(node):
            continue
        seen.add(key)
        ranked.append(node_id)
    return ranked


def select_programs(
    tree: Mapping[str, Any], strategy: str, n: int | None = 2, ctx: SelectionContext | None = None
) -> list[int]:
    """Ids of up to `n` whole programs (all if n is None), best first, distinct test outputs.

    Programs that produced no test output at all (errors) are never selected.
    """
    ranked = rank_programs(tree, strategy, ctx)
    return ranked if n is None else ranked[:n]


def check_selection(selection: Any) -> None:
    """Fail before any work on an unknown strategy, bad `params:`, an unreadable ranker artifact or,
    for a strategy that needs a judge, a missing or unknown judge model."""
    definition = get_strategy(selection.strategy)
    params = parse_params(definition.params, selection.params, "selection.params")
    artifact = definition.artifact(params)
    if artifact is not None:
        load_model(artifact)
    if definition.needs_judge:
        check_judge(selection)
