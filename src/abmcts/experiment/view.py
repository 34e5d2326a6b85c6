"""A task's tree page from a run's files (the `pipeline/view.py` stage and the MLflow artifacts)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from abmcts.arc import loaders
from abmcts.errors import InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.treecache import read_tree
from abmcts.io import atomic_write_text, read_json
from abmcts.treeview.arc import render_task_tree


class RunView:
    """Tree pages of one run; test outputs are shown (and read) only once the run is scored."""

    def __init__(self, cfg: RootConfig) -> None:
        self.cfg = cfg
        self.paths = RunPaths.of(cfg)
        if not self.paths.tasks.exists():
            raise InputError(f"tasks file {self.paths.tasks}: not found; run the fetch stage first")
        self.tasks = loaders.load_tasks(self.paths.tasks)
        attempts = self.paths.attempts
        self.attempts: dict[str, Any] = read_json(attempts, "attempts file") if attempts.exists() else {}
        scored = self.paths.metrics.exists()
        self.solutions: dict[str, Any] | None = (
            loaders.load_solutions(self.paths.solutions) if scored else None
        )

    def page(self, task_id: str) -> str:
        if task_id not in self.tasks:
            raise InputError(f"task {task_id!r}: not a task of {self.cfg.data.name} ({self.paths.tasks})")
        path = self.paths.tree(task_id)
        if not path.exists():
            raise InputError(f"tree file {path}: not found; run the search stage for this task first")
        tree = read_tree(path, partial(_check_object, path))  # the score's trees, not read again
        solutions = self.solutions.get(task_id) if self.solutions is not None else None
        return render_task_tree(
            tree, self.tasks[task_id], self.attempts.get(task_id), solutions, run=self.cfg.run.name
        )

    def write(self, task_id: str, out: str | Path) -> Path:
        atomic_write_text(out, self.page(task_id))
        return Path(out)


def _check_object(path: Path, tree: Any) -> None:
    if not isinstance(tree, dict):
        raise InputError(f"tree file {path}: a tree file must be a JSON object")
