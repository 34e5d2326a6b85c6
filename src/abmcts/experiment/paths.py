"""Where each stage reads and writes: one place, so stages and dvc.yaml agree.

Two layouts share this code. A named run (plain runs, Hydra multiruns) lives in
`<run.root>/<run.name>/`, one folder per selection strategy inside. DVC's run lives at the fixed
`run.dir` (`exp/`, set by dvc.yaml's commands) with its one selection in `exp/selection/`: fixed
paths are what let `dvc exp show`, `dvc plots diff` and `dvc exp apply` compare and restore
experiments, and they never overlap `runs/`, so neither layout deletes the other's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from abmcts.arc.datasource import DataSpec
from abmcts.experiment.config import RootConfig

DVC_RUN_DIR = "exp"  # run.dir of every DVC stage (dvc.yaml; tests/experiment/test_dvc.py checks)
FIXED_SELECTION_DIR = "selection"  # the selection folder of a run with a fixed run.dir


def data_folder(cfg: RootConfig) -> Path:
    """`<data_dir>/<data.name>`: the split's fetched tasks and solutions (and its source's download)."""
    return Path(cfg.data_dir) / cfg.data.name


def data_spec(cfg: RootConfig) -> DataSpec:
    """The view of the configuration a data source gets (`abmcts.arc.datasource`)."""
    data = cfg.data
    return DataSpec(
        source=data.source,
        name=data.name,
        version=data.version,
        split=data.split,
        path=data.path,
        url=data.url,
        sha256=data.sha256,
        folder=data_folder(cfg),
    )


@dataclass(frozen=True)
class RunPaths:
    tasks: Path
    solutions: Path
    run_dir: Path
    lock: Path
    ledger: Path
    config: Path
    provenance: Path
    task_ids: Path
    trees: Path
    search_summary: Path
    selection_dir: Path
    attempts: Path
    selection: Path
    submission: Path
    submissions: Path
    metrics: Path
    summary: Path
    pass_at_k: Path
    per_task: Path
    plots: Path

    @classmethod
    def of(cls, cfg: RootConfig) -> RunPaths:
        data = data_folder(cfg)
        if cfg.run.dir is not None:
            run = Path(cfg.run.dir)
            sel = run / FIXED_SELECTION_DIR
        else:
            run = Path(cfg.run.root) / cfg.run.name
            sel = run / cfg.selection.name
        return cls(
            tasks=data / "tasks.json",
            solutions=data / "solutions.json",
            run_dir=run,
            lock=run / "run.lock",
            ledger=run / "spend.sqlite",
            config=run / "config.yaml",
            provenance=run / "provenance.json",
            task_ids=run / "task_ids.json",
            trees=run / "trees",
            search_summary=run / "search_summary.json",
            selection_dir=sel,
            attempts=sel / "attempts.json",
            selection=sel / "selection.json",
            submission=sel / "submission.json",
            submissions=sel / "submissions",
            metrics=sel / "metrics.json",
            summary=sel / "summary.json",
            pass_at_k=sel / "pass_at_k.json",
            per_task=sel / "per_task.json",
            plots=sel / "plots",
        )

    def tree(self, task_id: str) -> Path:
        return self.trees / f"{task_id}.json"
