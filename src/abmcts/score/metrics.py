"""Pass@k, Pass@2 and the official ARC scores, all computed against held-back solutions.

Tasks are always those of `solutions`: a task without a tree or without attempts scores 0, so a
crashed or skipped task can never inflate a score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from abmcts.arc.node import TreeNode
from abmcts.arc.task import Grid

Trees = Mapping[str, dict[str, Any]]  # task id -> tree file as read: its checked nodes under "nodes"
Solutions = Mapping[str, Sequence[Grid]]


def solves(node: TreeNode, expected: Sequence[Grid]) -> bool:
    """True if the program's outputs match every test output exactly."""
    outputs = node.get("test_outputs") or []
    return (
        len(outputs) == len(expected)
        and len(expected) > 0
        and all(o == e for o, e in zip(outputs, expected, strict=True))
    )


def first_solving_call(tree: dict[str, Any] | None, expected: Sequence[Grid]) -> int | None:
    """Smallest node id (call index) whose program solves the task, or None."""
    if tree is None:
        return None
    nodes: list[TreeNode] = tree["nodes"]
    ids = [node["id"] for node in nodes if solves(node, expected)]
    return min(ids) if ids else None


def pass_at_k_curve(trees: Trees, solutions: Solutions, budget: int) -> list[float]:
    """Coverage after k calls for k = 1..budget: share of tasks some node with id < k solves."""
    if not solutions or budget < 1:
        return [0.0] * max(budget, 0)
    counts = [0] * budget
    for task_id, expected in solutions.items():
        first = first_solving_call(trees.get(task_id), expected)
        if first is not None and first < budget:
            counts[first] += 1
    curve, solved = [], 0
    for count in counts:
        solved += count
        curve.append(solved / len(solutions))
    return curve


def pass_at_2_per_task(
    trees: Trees, solutions: Solutions, programs: Mapping[str, Sequence[int]]
) -> dict[str, bool]:
    """Per task: does one of the (up to) two selected whole programs solve it? (Sakana-style Pass@2.)

    `programs` is what the select stage chose (selection.json), so scoring never re-runs a strategy.
    """
    result = {}
    for task_id, expected in solutions.items():
        tree = trees.get(task_id)
        nodes: list[TreeNode] = tree["nodes"] if tree is not None else []
        by_id = {node["id"]: node for node in nodes}
        picked = [by_id[i] for i in list(programs.get(task_id) or [])[:2] if i in by_id]
        result[task_id] = any(solves(node, expected) for node in picked)
    return result


def pass_at_2(trees: Trees, solutions: Solutions, programs: Mapping[str, Sequence[int]]) -> float:
    """Share of tasks solved by one of their two selected whole programs."""
    if not solutions:
        return 0.0
    return sum(pass_at_2_per_task(trees, solutions, programs).values()) / len(solutions)


def _attempt_grids(entry: Any) -> list[Any]:
    if not isinstance(entry, Mapping):
        return []
    grids = []
    for key in ("attempt_1", "attempt_2"):
        value = entry.get(key)
        if isinstance(value, Mapping):  # arc-agi-benchmarking entry {"answer": grid, "metadata": ...}
            value = value.get("answer")
        grids.append(value)
    return grids


def correct_per_test(attempts: Any, expected: Sequence[Grid]) -> list[bool]:
    """Per test input: is either attempt exactly the expected grid? Malformed entries are wrong."""
    entries = attempts if isinstance(attempts, Sequence) and not isinstance(attempts, str) else []
    result = []
    for index, want in enumerate(expected):
        entry = entries[index] if index < len(entries) else None
        result.append(any(grid == want for grid in _attempt_grids(entry)))
    return result


def official_score(attempts: Mapping[str, Any], solutions: Solutions) -> float:
    """arc-agi-benchmarking score: mean over tasks of the fraction of test inputs solved."""
    if not solutions:
        return 0.0
    total = 0.0
    for task_id, expected in solutions.items():
        correct = correct_per_test(attempts.get(task_id), expected)
        total += sum(correct) / len(correct) if correct else 0.0
    return total / len(solutions)


def kaggle_score(attempts: Mapping[str, Any], solutions: Solutions) -> float:
    """Kaggle micro-average: correct test inputs over all test inputs."""
    correct = n_inputs = 0
    for task_id, expected in solutions.items():
        flags = correct_per_test(attempts.get(task_id), expected)
        correct += sum(flags)
        n_inputs += len(flags)
    return correct / n_inputs if n_inputs else 0.0
