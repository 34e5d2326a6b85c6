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
    for name in ("dvc.yaml", "dvc.lock", "params.yaml"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, dest / name)
    return dest


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (sandbox zygotes and workers, cluster daemons), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited while we looked
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def read_tree(path: Path) -> dict:
    """A tree file as the pipeline reads it: nodes with their output grids (any tree format)."""
    from abmcts.arc.treefile import read_tree_nodes

    tree = json.loads(Path(path).read_text())
    tree["nodes"] = read_tree_nodes(tree, str(path))
    return tree


def smoke_config(tmp: Path, run_root: str, *overrides: str):
    """A validated smoke config (AB-MCTS-M, 3 tasks x 8 calls) whose data, run and cache live under `tmp`."""
    from hydra import compose, initialize_config_dir

    from abmcts.experiment.validate import validate_config

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                "experiment=smoke",
                "search=ab_mcts_m",
                "data.limit=3",
                "search.budget=8",
                f"data_dir={tmp / 'data'}",
                f"run.root={tmp / run_root}",
                f"cache.path={tmp / run_root / 'cache' / 'responses.sqlite'}",
                f"cache.executions_path={tmp / run_root / 'cache' / 'executions.sqlite'}",
                *overrides,
            ],
        )
    return validate_config(cfg)


def tree_bytes(cfg) -> dict[str, bytes]:
    """The run's tree files, by name."""
    from abmcts.experiment.paths import RunPaths

    return {p.name: p.read_bytes() for p in sorted(RunPaths.of(cfg).trees.glob("*.json"))}


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
