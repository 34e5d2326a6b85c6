"""Where each stage reads and writes: one place, so stages and dvc.yaml agree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from abmcts.experiment.config import RootConfig


@dataclass(frozen=True)
class RunPaths:
    tasks: Path
    solutions: Path
    run_dir: Path
    lock: Path
    ledger: Path
    config: Path
    provenance: Path
    trees: Path
    search_summary: Path
    selection_dir: Path
    attempts: Path
    selection: Path
    submission: Path
    submissions: Path
    metrics: Path
    pass_at_k: Path
    per_task: Path
    plots: Path

    @classmethod
    def of(cls, cfg: RootConfig) -> RunPaths:
        data = Path(cfg.data_dir) / cfg.data.name
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
            trees=run / "trees",
            search_summary=run / "search_summary.json",
            selection_dir=sel,
            attempts=sel / "attempts.json",
            selection=sel / "selection.json",
            submission=sel / "submission.json",
            submissions=sel / "submissions",
            metrics=sel / "metrics.json",
            pass_at_k=sel / "pass_at_k.json",
            per_task=sel / "per_task.json",
            plots=sel / "plots",
        )

    def tree(self, task_id: str) -> Path:
        return self.trees / f"{task_id}.json"
