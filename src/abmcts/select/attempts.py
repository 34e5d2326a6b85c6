"""Two attempts per test input from a strategy's ranking of whole programs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from abmcts.arc.node import TreeNode
from abmcts.arc.task import Grid, grid_problem
from abmcts.select.context import SelectionContext
from abmcts.select.strategy import rank_programs

FALLBACK_GRID: Grid = [[0]]


@dataclass(frozen=True)
class TestAttempts:
    """The two answers for one test input and the node ids that produced them (None = fallback)."""

    attempt_1: Grid
    attempt_2: Grid
    node_1: int | None
    node_2: int | None

    def kaggle(self) -> dict[str, Grid]:
        return {"attempt_1": self.attempt_1, "attempt_2": self.attempt_2}

    def to_json(self) -> dict[str, Any]:
        return {**self.kaggle(), "node_1": self.node_1, "node_2": self.node_2}


def _output(node: TreeNode, index: int) -> Grid | None:
    outputs = node.get("test_outputs") or []
    grid = outputs[index] if index < len(outputs) else None
    return grid if grid is not None and grid_problem(grid) is None else None


def plan_attempts(
    tree: dict[str, Any] | None, strategy: str, n_test: int, ctx: SelectionContext | None = None
) -> list[TestAttempts]:
    """Per test input: the first two distinct valid outputs down the strategy's ranking."""
    ranking = rank_programs(tree, strategy, ctx) if tree is not None else []
    return attempts_from_ranking(tree, ranking, n_test)


def attempts_from_ranking(tree: dict[str, Any] | None, ranking: list[int], n_test: int) -> list[TestAttempts]:
    """Per test input: the first two distinct valid outputs down `ranking` (node ids, best first).

    A program whose output for this input is missing (null/invalid) is skipped in favour of the
    next candidate, and `[[0]]` stands in when no candidate is left, so every test input always
    gets two grids (the Kaggle format requires both).
    """
    by_id = {node["id"]: node for node in tree["nodes"]} if tree is not None else {}
    plans = []
    for index in range(n_test):
        picks: list[tuple[Grid, int | None]] = []
        for node_id in ranking:
            grid = _output(by_id[node_id], index)
            if grid is not None and all(grid != g for g, _ in picks):
                picks.append((grid, node_id))
                if len(picks) == 2:
                    break
        picks += [(FALLBACK_GRID, None)] * (2 - len(picks))
        plans.append(TestAttempts(picks[0][0], picks[1][0], picks[0][1], picks[1][1]))
    return plans


def attempts_for(tree: dict[str, Any] | None, strategy: str, n_test: int) -> list[dict[str, Grid]]:
    """Kaggle-style `[{"attempt_1": grid, "attempt_2": grid}, ...]`, one entry per test input."""
    return [plan.kaggle() for plan in plan_attempts(tree, strategy, n_test)]


def plan_all(
    trees: Mapping[str, dict[str, Any]], strategy: str, n_tests: Mapping[str, int]
) -> dict[str, list[TestAttempts]]:
    """Attempts for every task in `n_tests` (task id -> number of test inputs); no tree = fallback."""
    return {task_id: plan_attempts(trees.get(task_id), strategy, n) for task_id, n in sorted(n_tests.items())}
