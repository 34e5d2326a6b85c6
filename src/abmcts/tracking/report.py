"""The score stage's MLflow side: one child run per selection strategy under the pipeline run, with
the metrics, the per-task table, the dataset inputs and the tasks' tree pages. Scoring a strategy
again replaces its run, so a pipeline run holds one run per strategy across resumes."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.experiment.tasktable import as_columns
from abmcts.track import log_run
from abmcts.tracking.provenance import provenance_tags
from abmcts.tracking.runs import KIND, log_dataset, stage_run

TABLE_FILE = "tables/per_task.json"  # the UI renders it (not the per_task.json file beside it)


def log_selection_run(
    cfg: RootConfig,
    metrics: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    artifacts: Sequence[Path],
) -> str:
    """Log the strategy's run (nested under the pipeline run); returns its run id."""
    from abmcts.experiment.view import RunView

    def extras(client: Any, run_id: str) -> None:
        log_dataset(client, run_id, cfg, context="evaluation")
        if rows:
            client.log_table(run_id, as_columns(rows), TABLE_FILE)
        task_ids = [row["task_id"] for row in rows][: cfg.tracking.tree_views]
        if task_ids:
            view = RunView(cfg)
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / "trees"
                for task_id in task_ids:
                    view.write(task_id, folder / f"{task_id}.html")
                client.log_artifacts(run_id, str(folder), artifact_path="trees")

    with stage_run(cfg, "score") as tracker:
        earlier = _selection_runs(tracker, cfg.selection.name)
        run_id = log_run(
            tracking_uri=cfg.tracking.uri,
            experiment=cfg.tracking.experiment,
            run_name=cfg.selection.name,
            params=asdict(cfg),
            tags={
                KIND: "selection",
                "data": cfg.data.name,
                "search": cfg.search.name,
                "models": cfg.models.name,
                "selection": cfg.selection.name,
                "run": cfg.run.name,
                **provenance_tags(cfg),
            },
            metrics=metrics,
            curve=metrics["pass_at_k_curve"],
            artifacts=artifacts,
            parent_run_id=tracker.run_id,
            before_end=extras,
        )
        for old in earlier:  # a rescore replaces the strategy's run (MLflow keeps it as deleted)
            tracker.client.delete_run(old)
        return run_id


def _selection_runs(tracker: Any, name: str) -> list[str]:
    """This strategy's runs under the pipeline run, from earlier invocations."""
    where = (
        f"tags.`{KIND}` = 'selection' and tags.`mlflow.parentRunId` = '{tracker.run_id}' "
        f"and tags.selection = '{name.replace(chr(39), '')}'"
    )
    return [r.info.run_id for r in tracker.client.search_runs([tracker.experiment_id], where)]
