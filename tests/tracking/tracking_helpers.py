"""A tiny tracked config for the tracking tests: two hand-written tasks, a scratch sqlite store."""

from __future__ import annotations

import json
from pathlib import Path

from project_helpers import smoke_config

TASKS = {
    "aaaa0001": {"train": [{"input": [[1, 0]], "output": [[0, 1]]}], "test": [{"input": [[2, 0]]}]},
    "aaaa0002": {"train": [{"input": [[3]], "output": [[3]]}], "test": [{"input": [[4]]}]},
}


def tracked_config(tmp: Path, uri: str, experiment: str, *overrides: str):
    cfg = smoke_config(
        tmp,
        "runs",
        "tracking=mlflow_local",
        f"tracking.uri={uri}",
        f"tracking.experiment={experiment}",
        *overrides,
    )
    tasks = Path(cfg.data_dir) / cfg.data.name / "tasks.json"
    tasks.parent.mkdir(parents=True, exist_ok=True)
    tasks.write_text(json.dumps(TASKS))
    return cfg


def node(node_id: int, parent: int | None, model: str, reward: float, **extra):
    base = {
        "id": node_id,
        "parent": parent,
        "model": model,
        "prompt_hash": "p",
        "sample_index": 0,
        "code": "def transform(g):\n    return g\n",
        "reward": reward,
        "train_correct": [reward == 1.0],
        "train_outputs": [[[0, 1]]],
        "test_outputs": [[[0, 2]]],
        "prompt_tokens": 100 + node_id,
        "completion_tokens": 10,
        "cost": 0.001,
        "latency_s": 0.5,
        "error": None,
        "exec_errors": None,
    }
    return {**base, **extra}
