"""Stage 3: two attempts per test input from each tree, in Kaggle and arc-agi-benchmarking formats."""

from __future__ import annotations

from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.stages.common import load_run_trees
from abmcts.io import atomic_write_json, read_json
from abmcts.select import plan_all, write_benchmarking_submissions, write_submission


def select_stage(cfg: RootConfig) -> dict[str, Any]:
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    tasks = read_json(paths.tasks, "tasks file")
    n_test = {tid: len(tasks[tid]["test"]) for tid in trees}
    plans = plan_all(trees, cfg.selection.strategy, n_test)
    atomic_write_json(
        paths.attempts,
        {tid: [entry.to_json() for entry in entries] for tid, entries in plans.items()},
    )
    write_submission(plans, paths.submission)
    write_benchmarking_submissions(plans, trees, paths.submissions)
    return {"tasks": len(plans), "path": str(paths.submission)}
