"""Submission writers: Kaggle's single file and arc-agi-benchmarking's one file per task."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from abmcts.io import atomic_write_json
from abmcts.select.attempts import TestAttempts

# arc-agi-benchmarking parses timestamps as datetimes; a fixed one keeps outputs reproducible.
FIXED_TIMESTAMP = "1970-01-01T00:00:00+00:00"


def _kaggle_entry(entry: TestAttempts | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(entry, TestAttempts):
        return entry.kaggle()
    return {"attempt_1": entry["attempt_1"], "attempt_2": entry["attempt_2"]}


def write_submission(
    attempts_by_task: Mapping[str, Sequence[TestAttempts | Mapping[str, Any]]], path: str | os.PathLike
) -> None:
    """Kaggle `submission.json`: `{task_id: [{"attempt_1": grid, "attempt_2": grid}, ...]}`."""
    atomic_write_json(
        path, {tid: [_kaggle_entry(e) for e in entries] for tid, entries in attempts_by_task.items()}
    )


def _tree_cost(tree: dict[str, Any] | None) -> float:
    return sum(float(n.get("cost") or 0.0) for n in tree["nodes"]) if tree else 0.0


def _metadata(
    tree: dict[str, Any] | None,
    node_id: int | None,
    task_id: str,
    pair_index: int,
    cost_share: float,
    config: str,
) -> dict[str, Any]:
    node = (
        next((n for n in tree["nodes"] if n["id"] == node_id), None) if tree and node_id is not None else None
    )
    prompt = int(node.get("prompt_tokens") or 0) if node else 0
    completion = int(node.get("completion_tokens") or 0) if node else 0
    return {
        "model": (node or {}).get("model") or "none",
        "provider": "abmcts",
        "start_timestamp": FIXED_TIMESTAMP,
        "end_timestamp": FIXED_TIMESTAMP,
        "choices": [],
        "reasoning_summary": None,
        "kwargs": {"node_id": node_id},
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "accepted_prediction_tokens": completion,
                "rejected_prediction_tokens": 0,
            },
        },
        "cost": {
            "prompt_cost": 0.0,
            "completion_cost": cost_share,
            "reasoning_cost": None,
            "total_cost": cost_share,
        },
        "task_id": task_id,
        "pair_index": pair_index,
        "test_id": config,
    }


def benchmarking_entries(
    task_id: str, attempts: Sequence[TestAttempts], tree: dict[str, Any] | None, config: str = "abmcts"
) -> list[dict[str, Any]]:
    """One task's arc-agi-benchmarking JSON: a list, one `{attempt_1, attempt_2}` per test input.

    Usage is the producing call's tokens. The benchmark's scorer sums `cost.total_cost` over all
    attempts of a task, so the whole search's cost is spread evenly over the attempts: the
    scorer's task cost then equals what the search really spent.
    """
    share = _tree_cost(tree) / (2 * len(attempts)) if attempts else 0.0
    return [
        {
            f"attempt_{k}": {
                "answer": grid,
                "metadata": _metadata(tree, node_id, task_id, pair_index, share, config),
            }
            for k, grid, node_id in ((1, a.attempt_1, a.node_1), (2, a.attempt_2, a.node_2))
        }
        for pair_index, a in enumerate(attempts)
    ]


def write_benchmarking_submissions(
    attempts_by_task: Mapping[str, Sequence[TestAttempts]],
    trees: Mapping[str, dict[str, Any]],
    directory: str | os.PathLike,
    config: str = "abmcts",
) -> list[Path]:
    """Write `<directory>/<task_id>.json` per task, as arc-agi-benchmarking's scorer reads them."""
    paths = []
    for task_id, attempts in attempts_by_task.items():
        path = Path(directory) / f"{task_id}.json"
        atomic_write_json(path, benchmarking_entries(task_id, attempts, trees.get(task_id), config))
        paths.append(path)
    return paths
