"""What several stages share: the run's task subset and its finished trees, checked against the config."""

from __future__ import annotations

from typing import Any

from abmcts.arc import loaders
from abmcts.arc.task import Task
from abmcts.arc.treefile import read_tree_nodes
from abmcts.errors import ConfigError, InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import ensure_tree_settings, tree_settings
from abmcts.experiment.taskset import check_task_ids
from abmcts.io import read_json


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
    if data.offset >= len(available):
        raise ConfigError(
            f"config data.offset={data.offset}: past the end of {data.name}, which has {len(available)} tasks"
        )
    ids = sorted(available)[data.offset :]
    return ids if data.limit is None else ids[: data.limit]


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
