"""Stage 4: metrics, plots and the MLflow run; the only stage that reads the solutions."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from abmcts import plots
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import run_provenance
from abmcts.experiment.stages.common import load_run_trees
from abmcts.io import atomic_write_json, read_json
from abmcts.score import compute_metrics, pass_at_k_rows


def score_stage(cfg: RootConfig) -> dict[str, Any]:
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    attempts = read_json(paths.attempts, "attempts file")
    selection = read_json(paths.selection, "selection file")
    solutions = read_json(paths.solutions, "solutions file")
    solutions = {tid: solutions[tid] for tid in trees}
    metrics = compute_metrics(trees, attempts, solutions, cfg.search.budget, selection)
    provenance = run_provenance(cfg)
    atomic_write_json(paths.metrics, {**metrics, "provenance": provenance})
    atomic_write_json(paths.pass_at_k, pass_at_k_rows(metrics["pass_at_k_curve"]))
    label = f"{cfg.search.name} / {cfg.models.name}"
    figures = [
        plots.plot_pass_at_k({label: metrics["pass_at_k_curve"]}, paths.plots / "pass_at_k.png"),
        plots.plot_model_allocation(trees, paths.plots / "model_allocation.png"),
        plots.plot_cost(trees, paths.plots / "cost.png"),
    ]
    if cfg.tracking.enabled:
        from abmcts.track import log_run

        log_run(
            tracking_uri=cfg.tracking.uri,
            experiment=cfg.tracking.experiment,
            run_name=f"{cfg.run.name}/{cfg.selection.name}",
            params=asdict(cfg),
            tags={
                "data": cfg.data.name,
                "search": cfg.search.name,
                "models": cfg.models.name,
                "selection": cfg.selection.name,
                "run": cfg.run.name,
                "fingerprint": provenance["fingerprint"],
                "git_commit": provenance["git_commit"] or "unknown",
                "data_version": provenance["data_version"],
                "lock": provenance["lock"] or "none",
            },
            metrics=metrics,
            curve=metrics["pass_at_k_curve"],
            artifacts=[paths.metrics, paths.submission, *[Path(f) for f in figures]],
        )
    return metrics
