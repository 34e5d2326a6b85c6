"""Stage 4: metrics, plots and the per-task table; the only stage that reads the solutions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.provenance import run_provenance
from abmcts.experiment.rundata import load_run_trees
from abmcts.experiment.runlock import run_lock
from abmcts.io import atomic_write_json, read_json
from abmcts.llm.ledger import SpendLedger
from abmcts.score import compute_metrics, headline, pass_at_k_rows, plots
from abmcts.score.tasktable import per_task_rows
from abmcts.stages import Stage

# Reports a finished score (tracking's MLflow run): called under the run lock with the config, the
# metrics, the per-task rows and the files worth keeping beside them.
Report = Callable[[RootConfig, dict[str, Any], list[dict[str, Any]], list[Path]], Any]


def score_stage(cfg: RootConfig, report: Report | None = None) -> dict[str, Any]:
    """Metrics, plots and the per-task table of the run's selection; `report` is given them."""
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    attempts = read_json(paths.attempts, "attempts file")
    selection = read_json(paths.selection, "selection file")
    solutions = read_json(paths.solutions, "solutions file")
    solutions = {tid: solutions[tid] for tid in trees}
    with run_lock(paths.run_dir, "score"):
        metrics, rows, artifacts = _score(cfg, paths, trees, attempts, selection, solutions)
        if report is not None:
            report(cfg, metrics, rows, artifacts)
        return metrics


def _score(
    cfg: RootConfig, paths: RunPaths, trees: dict, attempts: dict, selection: dict, solutions: dict
) -> tuple[dict[str, Any], list[dict[str, Any]], list[Path]]:
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
    return metrics, rows, [paths.metrics, paths.per_task, paths.submission, *[Path(f) for f in figures]]


def billed(paths: RunPaths) -> dict[str, Any]:
    """What the run's spend ledger counts (the provider's bill, as far as it can be known), per
    stage; all zeros for a run that never sent a paid request."""
    out: dict[str, Any] = {"total": 0.0, "search": 0.0, "select": 0.0, "requests": 0, "flags": {}}
    if not paths.ledger.exists():
        return out
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


STAGE = Stage(run=score_stage, entry_point="pipeline/score.py")
