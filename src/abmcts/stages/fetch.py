"""Stage 1: write the split's task inputs and, in a separate file, its solutions."""

from __future__ import annotations

import logging
from typing import Any

from abmcts.arc.datasource import load_data
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths, data_spec
from abmcts.io import atomic_write_json
from abmcts.stages import Stage

log = logging.getLogger(__name__)


def fetch_stage(cfg: RootConfig) -> dict[str, Any]:
    """Write task inputs and solutions to separate files, so the search never opens the latter."""
    paths = RunPaths.of(cfg)
    tasks, solutions = load_data(data_spec(cfg))  # the source `data.source` names
    atomic_write_json(paths.solutions, {tid: solutions[tid] for tid in sorted(solutions)})
    atomic_write_json(paths.tasks, {tid: tasks[tid].to_json() for tid in sorted(tasks)})
    log.info("fetched %d tasks to %s", len(tasks), paths.tasks)
    return {"tasks": len(tasks), "path": str(paths.tasks)}


STAGE = Stage(run=fetch_stage, entry_point="pipeline/fetch.py")
