"""Fit the learned selection ranker on a training split's finished trees (not a DVC stage: run by hand
when the ranker's features change).

The model is written to the path `selection.params.artifact` gives, or beside the run's trees when it
names a shipped model (a bare file name): never into the installed package, where a retrain would
silently replace the model every other run selects with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.rundata import load_run_trees
from abmcts.io import atomic_write_json, read_json
from abmcts.select.ranker import DEFAULT_ARTIFACT
from abmcts.select.train_ranker import train_artifact
from abmcts.stages import Stage


def train_ranker_stage(cfg: RootConfig) -> dict[str, Any]:
    """Write a ranker model (see the module docstring for where). Reads the split's solutions (the
    labels), so it refuses anything but a training split."""
    if cfg.data.split != "training":
        raise ConfigError(f"config data.split={cfg.data.split!r}: the ranker trains on a training split only")
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    tasks = read_json(paths.tasks, "tasks file")
    solutions = read_json(paths.solutions, "solutions file")
    texts = {tid: paths.tree(tid).read_bytes() for tid in trees}
    described = f"{cfg.data.name}: {cfg.run.name} ({len(trees)} tasks)"
    data = train_artifact(trees, tasks, solutions, texts, paths.tasks.read_bytes(), described)
    out = trained_model_path(cfg, paths)
    atomic_write_json(out, data)
    return {"path": str(out), "cv_pass_at_2_tier": data["cv"]["top2_hit_rate"], "tasks": len(trees)}


def trained_model_path(cfg: RootConfig, paths: RunPaths) -> Path:
    """`selection.params.artifact` when it is a path; `<run dir>/ranker.json` for a shipped model's name."""
    given = Path(str(cfg.selection.params.get("artifact", DEFAULT_ARTIFACT)))
    return given if given.is_absolute() or given.parent != Path(".") else paths.run_dir / "ranker.json"


STAGE = Stage(run=train_ranker_stage, entry_point="pipeline/train_ranker.py", dvc=False)
