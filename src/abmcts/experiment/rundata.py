"""What several stages share: the run's task subset and its finished trees, checked against the config."""

from __future__ import annotations

from functools import partial
from typing import Any

from abmcts.arc import loaders
from abmcts.arc.task import Grid, Task
from abmcts.errors import InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import ensure_tree_settings, tree_settings
from abmcts.experiment.taskset import check_task_ids, selected_task_ids
from abmcts.experiment.treecache import ReadTree, read_tree, remember
from abmcts.io import paused_gc


def load_run_tasks(cfg: RootConfig) -> dict[str, Task]:
    paths = RunPaths.of(cfg)
    if not paths.tasks.exists():
        raise InputError(f"tasks file {paths.tasks}: not found; run the fetch stage first")
    tasks = loaders.load_tasks(paths.tasks)
    return {tid: tasks[tid] for tid in selected_task_ids(cfg, list(tasks))}


def load_run_trees(cfg: RootConfig) -> dict[str, dict[str, Any]]:
    """The tree of every selected task, made under this config's settings.

    A missing or unfinished tree is an error, not a silent zero; so is a tree made under other
    settings (another prompt, reward, model, data version...), whose results must not be labelled
    with this config.
    """
    paths = RunPaths.of(cfg)
    tasks = load_run_tasks(cfg)
    check_task_ids(cfg, list(tasks))  # never score another selection over the run's results
    trees = {}
    reads: dict[bytes, ReadTree] = {}
    with paused_gc():  # the trees are acyclic: collecting while they grow only rescans them
        for tid, task in tasks.items():
            check = partial(_check_finished, tid, tree_settings(cfg, task), f"tree file {paths.tree(tid)}")
            trees[tid] = read_tree(paths.tree(tid), check, reads)
    remember(reads)  # the next stage in this process (score after select) reads them again
    return trees


def _check_finished(task_id: str, settings: dict[str, Any], where: str, tree: Any) -> None:
    if not isinstance(tree, dict) or not tree.get("complete"):
        raise InputError(f"{where}: search did not finish; rerun the search stage")
    if tree.get("task_id") != task_id:
        raise InputError(f"{where}: holds task {tree.get('task_id')!r}, not {task_id!r}")
    ensure_tree_settings(tree, settings, where)


def load_run_solutions(cfg: RootConfig, task_ids: list[str]) -> dict[str, list[Grid]]:
    """The test outputs of `task_ids`, checked (the score stage and views made from its output are
    the only readers): a damaged solutions file, or one without a task, is one line naming it."""
    paths = RunPaths.of(cfg)
    if not paths.solutions.exists():
        raise InputError(f"solutions file {paths.solutions}: not found; run the fetch stage first")
    solutions = loaders.load_solutions(paths.solutions)
    missing = [tid for tid in task_ids if tid not in solutions]
    if missing:
        raise InputError(
            f"solutions file {paths.solutions}: no test outputs for task {missing[0]!r}"
            f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}; run the fetch stage again"
        )
    return {tid: solutions[tid] for tid in task_ids}
