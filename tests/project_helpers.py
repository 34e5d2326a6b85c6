"""Test helpers importable from any test folder: run pipeline scripts in a scratch copy, and
hand-made tree records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_project(dest: Path, with_src: bool = False) -> Path:
    """A scratch copy of what the pipeline needs (conf, pipeline, dvc files); code runs from the install."""
    for name in ("conf", "pipeline", *(["src"] if with_src else [])):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(REPO / name, dest / name)
    return dest


def read_tree(path: Path) -> dict:
    """A tree file as the pipeline reads it: nodes with their output grids (any tree format)."""
    from abmcts.experiment.treefile import read_tree_nodes

    tree = json.loads(Path(path).read_text())
    tree["nodes"] = read_tree_nodes(tree, str(path))
    return tree


def run_pipeline(cwd: Path, script: str, *overrides: str, env: dict | None = None, timeout: float = 600):
    """Run a pipeline entry point as a user would; returns the CompletedProcess."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, f"pipeline/{script}.py", *overrides],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def node(
    node_id, reward, test_outputs, model="offline/geometry", code="def transform(g):\n    return g\n", **extra
):
    return {
        "id": node_id,
        "parent": None,
        "model": model,
        "code": code,
        "reward": reward,
        "train_correct": [],
        "train_outputs": [],
        "test_outputs": test_outputs,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost": 0.01,
        "latency_s": 0.0,
        "error": None,
        **extra,
    }


def tree(task_id, nodes, budget=10):
    return {"task_id": task_id, "budget": budget, "nodes": nodes}
