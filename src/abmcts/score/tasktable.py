"""One row per scored task: what the search found, what the selection chose, what it cost.

The score stage writes these rows to `per_task.json` (the comparison's bootstrap intervals and
paired tests resample them) and logs them as an MLflow table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from abmcts.score.metrics import correct_per_test, first_solving_call, pass_at_2_per_task


def tree_shape(nodes: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """(depth, width): the longest root-to-leaf chain in calls, the most nodes at one depth."""
    depth_of: dict[int, int] = {}
    for node in nodes:  # parents come before children (tree files guarantee it)
        parent = node["parent"]
        depth_of[node["id"]] = 1 if parent is None else depth_of[parent] + 1
    per_level = Counter(depth_of.values())
    return max(per_level, default=0), max(per_level.values(), default=0)


def per_task_rows(
    trees: Mapping[str, dict[str, Any]],
    attempts: Mapping[str, Any],
    solutions: Mapping[str, Sequence[Any]],
    programs: Mapping[str, Sequence[int]],
    budget: int,
) -> list[dict[str, Any]]:
    """Rows sorted by task id; `calls/<model>` and `cost/<model>` columns for every model seen.

    `programs` are the two whole programs per task the select stage chose (`selection.json`).
    """
    models = sorted({n["model"] for tree in trees.values() for n in tree["nodes"]})
    solved_at_2 = pass_at_2_per_task(trees, solutions, programs)
    rows = []
    for task_id in sorted(solutions):
        tree, expected = trees.get(task_id), solutions[task_id]
        nodes = tree["nodes"] if tree else []
        correct = correct_per_test(attempts.get(task_id), expected)
        first = first_solving_call(tree, expected)
        depth, width = tree_shape(nodes)
        chosen = [
            entry.get(key)
            for entry in attempts.get(task_id) or []
            for key in ("node_1", "node_2")
            if isinstance(entry, Mapping)
        ]
        row: dict[str, Any] = {
            "task_id": task_id,
            "best_train_reward": max((n["reward"] for n in nodes), default=0.0),
            "solved_test": bool(correct) and all(correct),
            "official": sum(correct) / len(correct) if correct else 0.0,
            "pass_at_2": int(solved_at_2[task_id]),
            "pass_at_budget": int(first is not None and first < budget),
            "first_solving_call": first,
            "calls": len(nodes),
            "cost": sum(n["cost"] for n in nodes),
            "depth": depth,
            "width": width,
            "chosen_nodes": " ".join("-" if c is None else str(c) for c in chosen),
        }
        for model in models:
            mine = [n for n in nodes if n["model"] == model]
            row[f"calls/{model}"] = len(mine)
            row[f"cost/{model}"] = sum(n["cost"] for n in mine)
        rows.append(row)
    return rows


def as_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Column-wise form (what `mlflow.log_table` takes)."""
    keys = list(rows[0]) if rows else []
    return {k: [row.get(k) for row in rows] for k in keys}
