"""Tracking around the stages: the hooks that make a stage tracked, by stage name.

A tracked search is the search stage with a monitor (live progress and traces in the pipeline's
MLflow run); a tracked score is the score stage with a report (one MLflow run per selection
strategy). The stages never import this package, so editing a dashboard never reruns them under DVC.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.tracking.live import SearchMonitor
from abmcts.tracking.report import log_selection_run
from abmcts.tracking.runs import stage_run


@contextmanager
def search_monitor(cfg: RootConfig) -> Iterator[SearchMonitor]:
    """The pipeline run, open while the search runs, fed each task's result as it finishes."""
    with stage_run(cfg, "search") as tracker:
        monitor = SearchMonitor(tracker, cfg)
        try:
            yield monitor
        finally:
            monitor.close()


HOOKS: dict[str, dict[str, Any]] = {
    "search": {"monitor": search_monitor},
    "score": {"report": log_selection_run},
}


# what the hooks import first: ~2 s of CPU, on a thread while the stage starts and checks its config
_MLFLOW_MODULES = ("mlflow", "mlflow.tracking", "mlflow.entities", "mlflow.store.tracking.sqlalchemy_store")


def tracking_hooks(stage: str) -> dict[str, Any]:
    """Keyword hooks for stage `stage` when tracking is on (none for a stage MLflow does not see).

    MLflow's import starts now, on a thread: nothing is written to the store before the hooks
    run (after the stage's checks), but the import is done by then."""
    hooks = HOOKS.get(stage, {})
    if hooks:
        threading.Thread(target=_import_mlflow, name="mlflow-import", daemon=True).start()
    return hooks


def _import_mlflow() -> None:
    with contextlib.suppress(Exception):  # only a head start: the hooks import (and report) it themselves
        for name in _MLFLOW_MODULES:
            importlib.import_module(name)
