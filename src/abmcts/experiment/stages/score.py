"""Stage 4: metrics, plots and the MLflow run; the only stage that reads the solutions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abmcts import plots
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import run_provenance
from abmcts.experiment.runlock import run_lock
from abmcts.experiment.stages.common import load_run_trees
from abmcts.experiment.tasktable import per_task_rows
from abmcts.io import atomic_write_json, read_json
from abmcts.score import compute_metrics, headline, pass_at_k_rows


def score_stage(cfg: RootConfig) -> dict[str, Any]:
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    attempts = read_json(paths.attempts, "attempts file")
    selection = read_json(paths.selection, "selection file")
    solutions = read_json(paths.solutions, "solutions file")
    solutions = {tid: solutions[tid] for tid in trees}
    with run_lock(paths.run_dir, "score"):
        return _score(cfg, paths, trees, attempts, selection, solutions)


def _score(
    cfg: RootConfig, paths: RunPaths, trees: dict, attempts: dict, selection: dict, solutions: dict
) -> dict:
    metrics = compute_metrics(trees, attempts, solutions, cfg.search.budget, selection)
    metrics["billed"] = billed(paths)
    provenance = run_provenance(cfg)
    atomic_write_json(paths.metrics, {**metrics, "provenance": provenance})
    atomic_write_json(paths.summary, headline(metrics))
    atomic_write_json(paths.pass_at_k, pass_at_k_rows(metrics["pass_at_k_curve"]))
    label = f"{cfg.search.name} / {cfg.models.name}"
    figures = [
        plots.plot_pass_at_k({label: metrics["pass_at_k_curve"]}, paths.plots / "pass_at_k.png"),
        plots.plot_model_allocation(trees, paths.plots / "model_allocation.png"),
        plots.plot_cost(trees, paths.plots / "cost.png"),
    ]
    rows = per_task_rows(trees, attempts, solutions, selection.get("programs") or {}, cfg.search.budget)
    atomic_write_json(paths.per_task, rows)
    if cfg.tracking.enabled:
        from abmcts.tracking.report import log_selection_run

        artifacts = [paths.metrics, paths.per_task, paths.submission, *[Path(f) for f in figures]]
        log_selection_run(cfg, metrics, rows, artifacts)
    return metrics


def billed(paths: RunPaths) -> dict[str, Any]:
    """What the run's spend ledger counts (the provider's bill, as far as it can be known), per
    stage; all zeros for a run that never sent a paid request."""
    out: dict[str, Any] = {"total": 0.0, "search": 0.0, "select": 0.0, "requests": 0, "flags": {}}
    if not paths.ledger.exists():
        return out
    from abmcts.llm.ledger import SpendLedger

    ledger = SpendLedger(paths.ledger)
    try:
        totals = ledger.totals()
    finally:
        ledger.close()
    return {
        **out,
        **totals.by_stage,
        "total": totals.counted,
        "requests": totals.entries,
        "flags": dict(sorted(totals.flags.items())),
    }
