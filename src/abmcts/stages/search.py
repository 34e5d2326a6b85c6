"""Stage 2: search every selected task (in parallel), one tree file per task."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from omegaconf import OmegaConf

from abmcts.arc.task import Task
from abmcts.experiment.background import entered_in_background
from abmcts.experiment.callbudget import search_with_call_budget
from abmcts.experiment.config import RootConfig
from abmcts.experiment.parallel import (
    WorkerPool,
    check_models,
    run_tasks,
    start_workers,
    sum_counts,
    warm_up_workers,
)
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import ensure_tree_settings, run_provenance, tree_settings
from abmcts.experiment.rundata import load_run_tasks
from abmcts.experiment.runlock import run_lock
from abmcts.experiment.spend import check_caps, needs_ledger, spend_summary
from abmcts.experiment.taskset import check_task_ids, record_task_ids
from abmcts.io import atomic_write_json, atomic_write_text, read_json
from abmcts.llm.ledger import SpendLedger
from abmcts.sandbox.confinement import preflight
from abmcts.sqlite_store import checkpoint
from abmcts.stages import Stage


def record_run_config(cfg: RootConfig, paths: RunPaths) -> None:
    """Keep the resolved config and what produced the run beside its trees."""
    atomic_write_text(paths.config, OmegaConf.to_yaml(OmegaConf.structured(cfg)))
    atomic_write_json(paths.provenance, run_provenance(cfg))


def check_existing_trees(cfg: RootConfig, tasks: dict[str, Task], paths: RunPaths) -> None:
    """Refuse, before any work, to resume trees that were made under other settings."""
    for tid, task in tasks.items():
        path = paths.tree(tid)
        if path.exists():
            tree = read_json(path, "tree checkpoint")
            if isinstance(tree, dict):  # anything else is refused by the task's own resume
                ensure_tree_settings(tree, tree_settings(cfg, task), f"tree checkpoint {path}")


def check_before_work(cfg: RootConfig, tasks: list[Task], pool: WorkerPool | None = None) -> None:
    """Everything the config can still get wrong, checked before any work or MLflow run: the
    kernel's confinement, the models (offline names, keys, prices and max_tokens under a cap; in
    the worker processes when there are some) and the caps against one call's worst case."""
    preflight(cfg.sandbox.allow_unconfined)
    check_models(cfg, pool)
    check_caps(cfg, tasks)


OnResult = Callable[[dict[str, Any]], None]
# Watches a search while it runs: entered under the run lock, after every check, with the config; yields
# the hook each finished task's result is given to (tracking's live progress), or None.
Monitor = Callable[[RootConfig], AbstractContextManager[OnResult | None]]


def search_stage(cfg: RootConfig, progress: bool = True, monitor: Monitor | None = None) -> dict[str, Any]:
    """Search every selected task, writing one tree file per task, and summarise the run; one live
    run per run directory (`runlock`).

    The caches are checkpointed at the end, whatever happened: their write-ahead logs folded into
    the files, so a lost `-wal` loses nothing."""
    try:
        return _locked_search(cfg, progress, monitor)
    finally:
        checkpoint(*cfg.cache.store_paths())


def _locked_search(cfg: RootConfig, progress: bool, monitor: Monitor | None) -> dict[str, Any]:
    paths = RunPaths.of(cfg)
    tasks = load_run_tasks(cfg)
    check_task_ids(cfg, list(tasks))
    check_existing_trees(cfg, tasks, paths)
    # the worker processes start first: their start-up (imports, model clients) overlaps the checks
    with start_workers(cfg, len(tasks)) as pool:
        check_before_work(cfg, list(tasks.values()), pool)
        with run_lock(paths.run_dir, "search"):
            record_task_ids(cfg, list(tasks))
            # the monitor's setup (an MLflow run and its database) runs beside the search's start
            watch = entered_in_background(monitor(cfg)) if monitor is not None else nullcontext()
            with watch as on_result:
                return _search(cfg, tasks, paths, progress, on_result, pool)


def _search(
    cfg: RootConfig,
    tasks: dict[str, Task],
    paths: RunPaths,
    progress: bool,
    on_result: OnResult | None,
    pool: WorkerPool | None,
) -> dict[str, Any]:
    start = time.perf_counter()
    search = run_tasks if cfg.run.max_calls is None else search_with_call_budget
    results = search(cfg, list(tasks.values()), paths, progress=progress, on_result=on_result, pool=pool)
    record_run_config(cfg, paths)  # after the checks run_tasks makes first (models, keys, caches)
    summary = {
        "tasks": len(results),
        "calls": sum(r["calls"] for r in results),
        "solved_train": sum(r["best_reward"] == 1.0 for r in results),
        "stopped": dict(Counter(r["stop_reason"] for r in results if r["stop_reason"])),
        "cache": sum_counts(r["cache"] for r in results),
        "executions": sum_counts(r["executions"] for r in results),
        "timings_s": {k: round(v, 3) for k, v in sum_counts(r["timings_s"] for r in results).items()},
        "wall_s": round(time.perf_counter() - start, 3),
        "spend": _spend(cfg, paths, results),
    }
    atomic_write_json(paths.search_summary, summary)
    return summary


def _spend(cfg: RootConfig, paths: RunPaths, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's spend as its ledger counts it (nothing to count when every model is offline)."""
    if not (needs_ledger(cfg.models.specs) and paths.ledger.exists()):
        return spend_summary(cfg, None, results)
    ledger = SpendLedger(paths.ledger)
    try:
        return spend_summary(cfg, ledger, results)
    finally:
        ledger.close()


STAGE = Stage(run=search_stage, entry_point="pipeline/search.py", warm_up=warm_up_workers)
