"""A run's task selection is part of its identity, like its settings.

The search stage records the task ids it starts a run with (`<run>/task_ids.json`); every stage then
refuses, in one line and before any work, to search, select or score another selection in that run
directory (`data.limit`, `data.offset`, `data.task_ids` resolve to other ids), so a 10-task rerun
never replaces a 50-task run's results. The ids are compared, not the settings that chose them:
`data.limit=2` and the same two ids given as `data.task_ids` are the same run. Runs made before
this file existed are checked against the selection in their recorded `config.yaml`.
"""

from __future__ import annotations

from typing import Any

from abmcts.errors import ConfigError, InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.io import atomic_write_json, read_json


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


def recorded_task_ids(cfg: RootConfig) -> list[str] | None:
    """The task ids the run directory was searched with (None: a new run)."""
    paths = RunPaths.of(cfg)
    if paths.task_ids.exists():
        data = read_json(paths.task_ids, "task ids file")
        ids = data.get("task_ids") if isinstance(data, dict) else None
        if not isinstance(ids, list):
            raise InputError(f"task ids file {paths.task_ids}: no task_ids list")
        return ids
    if paths.config.exists():  # a run from before task_ids.json: the selection its config made
        from omegaconf import OmegaConf

        data = OmegaConf.to_container(OmegaConf.load(paths.config).get("data") or {})
        old = RootConfig()
        for key in ("task_ids", "offset", "limit"):
            if isinstance(data, dict) and key in data:
                setattr(old.data, key, data[key])
        return selected_task_ids(old, list(read_json(paths.tasks, "tasks file")))
    return None


def check_task_ids(cfg: RootConfig, ids: list[str]) -> None:
    """InputError (one line) when the run directory holds another task selection than `ids`."""
    recorded = recorded_task_ids(cfg)
    if recorded is None or recorded == ids:
        return
    paths = RunPaths.of(cfg)
    data = cfg.data
    asked = (
        f"data.task_ids ({len(ids)} ids)"
        if data.task_ids is not None
        else f"data.offset={data.offset} data.limit={data.limit}"
    )
    raise InputError(
        f"run {paths.run_dir}: searched {_describe(recorded)}, this config selects {_describe(ids)} "
        f"({asked}); give this selection its own run.name, or select the run's tasks"
    )


def record_task_ids(cfg: RootConfig, ids: list[str]) -> None:
    """Write the run's task ids (the search stage, once its checks have passed)."""
    paths = RunPaths.of(cfg)
    data = cfg.data
    selection: dict[str, Any] = {"task_ids": data.task_ids, "offset": data.offset, "limit": data.limit}
    atomic_write_json(paths.task_ids, {"data": data.name, "selection": selection, "task_ids": ids})


def _describe(ids: list[str]) -> str:
    if not ids:
        return "no tasks"
    return f"{len(ids)} tasks ({ids[0]}..{ids[-1]})" if len(ids) > 1 else f"1 task ({ids[0]})"
