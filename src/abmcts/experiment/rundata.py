"""What several stages share: the run's task subset and its finished trees, checked against the config."""

from __future__ import annotations

from typing import Any

from abmcts.arc import loaders
from abmcts.arc.task import Task
from abmcts.errors import InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import ensure_tree_settings, tree_settings
from abmcts.experiment.taskset import check_task_ids, selected_task_ids
from abmcts.experiment.treefile import read_tree_nodes
from abmcts.io import read_json


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
    for tid, task in tasks.items():
        where = f"tree file {paths.tree(tid)}"
        tree = read_json(paths.tree(tid), "tree file")
        if not isinstance(tree, dict) or not tree.get("complete"):
            raise InputError(f"{where}: search did not finish; rerun the search stage")
        if tree.get("task_id") != tid:
            raise InputError(f"{where}: holds task {tree.get('task_id')!r}, not {tid!r}")
        ensure_tree_settings(tree, tree_settings(cfg, task), where)
        tree["nodes"] = read_tree_nodes(tree, where)
        tree.pop("outputs", None)  # now inside the nodes
        trees[tid] = tree
    return trees
