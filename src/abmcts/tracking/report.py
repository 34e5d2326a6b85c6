"""The score stage's MLflow side: one child run per selection strategy under the pipeline run, with
the metrics, the per-task table, the dataset inputs and the tasks' tree pages. Scoring a strategy
again replaces its run, so a pipeline run holds one run per strategy across resumes."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from abmcts.errors import InputError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.view import RunView
from abmcts.score.tasktable import as_columns
from abmcts.tracking.provenance import provenance_tags
from abmcts.tracking.redact import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VALUE_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VALUE_LENGTH,
    chunks,
    cut,
    mlflow_key,
    redact,
    scalar_metrics,
)
from abmcts.tracking.runs import KIND, PARENT, Tracker, log_dataset, stage_run

TABLE_FILE = "tables/per_task.json"  # the UI renders it (not the per_task.json file beside it)


def log_selection_run(
    cfg: RootConfig,
    metrics: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    artifacts: Sequence[Path],
) -> str:
    """Log the strategy's run (nested under the pipeline run); returns its run id."""

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
            tracker,
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


def log_run(
    tracker: Tracker,
    run_name: str,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    curve: Sequence[float] | None = None,
    artifacts: Sequence[Path] = (),
    before_end: Callable[[Any, str], None] | None = None,
) -> str:
    """Log one finished run nested under `tracker`'s run and return its MLflow run id.

    Params and tags are redacted and cut to MLflow's limits; the pass@k curve becomes the stepped
    metric `pass_at_k` (step = k); files and directories in `artifacts` are uploaded;
    `before_end(client, run_id)` logs anything else (tables, datasets) before the run is marked
    finished. A missing artifact is refused before any run is created.
    """
    paths = [Path(p) for p in artifacts]
    for path in paths:
        if not path.exists():
            raise InputError(f"tracking artifact {path}: file not found")

    from mlflow.entities import Metric, Param, RunTag

    client = tracker.client
    run_id = client.create_run(
        tracker.experiment_id, run_name=run_name, tags={PARENT: tracker.run_id}
    ).info.run_id
    try:
        now = int(time.time() * 1000)
        param_list = [
            Param(mlflow_key(k), cut(v, MAX_PARAM_VALUE_LENGTH)) for k, v in redact(params or {}).items()
        ]
        tag_list = [
            RunTag(mlflow_key(k), cut(v, MAX_TAG_VALUE_LENGTH)) for k, v in redact(tags or {}).items()
        ]
        metric_list = [Metric(k, v, now, 0) for k, v in scalar_metrics(metrics or {}).items()]
        metric_list += [Metric("pass_at_k", float(v), now, k) for k, v in enumerate(curve or [], start=1)]
        for chunk in chunks(param_list, MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(run_id, params=chunk)
        for chunk in chunks(tag_list, MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(run_id, tags=chunk)
        for chunk in chunks(metric_list, MAX_METRICS_PER_BATCH):
            client.log_batch(run_id, metrics=chunk)
        for path in paths:
            if path.is_dir():
                client.log_artifacts(run_id, str(path), artifact_path=path.name)
            else:
                client.log_artifact(run_id, str(path))
        if before_end is not None:
            before_end(client, run_id)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    return run_id
