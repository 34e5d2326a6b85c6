"""Fit the learned selection ranker on a training split's finished trees (not a DVC stage: run by hand
when the ranker's features change; the artifact it writes is committed and versioned)."""

from __future__ import annotations

from typing import Any

from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.stages.common import load_run_trees
from abmcts.io import atomic_write_json, read_json
from abmcts.select.ranker import DEFAULT_ARTIFACT, artifact_path
from abmcts.select.train_ranker import train_artifact


def train_ranker_stage(cfg: RootConfig) -> dict[str, Any]:
    """Write the artifact `selection.params.artifact` names. Reads the split's solutions (the labels),
    so it refuses anything but a training split."""
    if cfg.data.split != "training":
        raise ConfigError(f"config data.split={cfg.data.split!r}: the ranker trains on a training split only")
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    tasks = read_json(paths.tasks, "tasks file")
    solutions = read_json(paths.solutions, "solutions file")
    texts = {tid: paths.tree(tid).read_bytes() for tid in trees}
    described = f"{cfg.data.name}: {cfg.run.name} ({len(trees)} tasks)"
    data = train_artifact(trees, tasks, solutions, texts, paths.tasks.read_bytes(), described)
    out = artifact_path(str(cfg.selection.params.get("artifact", DEFAULT_ARTIFACT)))
    atomic_write_json(out, data)
    return {"path": str(out), "cv_pass_at_2_tier": data["cv"]["top2_hit_rate"], "tasks": len(trees)}
