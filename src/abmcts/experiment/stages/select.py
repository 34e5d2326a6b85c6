"""Stage 3: two attempts per test input from each tree, in Kaggle and arc-agi-benchmarking formats."""

from __future__ import annotations

from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.spend import LocalAccount, SpendCaps
from abmcts.experiment.stages.common import load_run_trees
from abmcts.io import atomic_write_json, read_json
from abmcts.llm.cache import ResponseCache
from abmcts.llm.pricing import check_capped
from abmcts.select import select_all, write_benchmarking_submissions, write_submission
from abmcts.select.judge import Judge, judge_client
from abmcts.select.strategies import judge_spec
from abmcts.sqlite_store import checkpoint


def select_stage(cfg: RootConfig) -> dict[str, Any]:
    """Also writes `selection.json`: the two whole programs per task (scored as pass@2) and what a
    judge model cost, so scoring never re-runs (or re-pays) a strategy."""
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    tasks = read_json(paths.tasks, "tasks file")
    judge = _judge(cfg, trees)
    try:
        result = select_all(trees, tasks, cfg.selection.strategy, cfg.selection.params, judge)
    finally:
        if judge is not None:
            judge.client.cache.close()
            checkpoint(*cfg.cache.store_paths())
    atomic_write_json(
        paths.attempts,
        {tid: [entry.to_json() for entry in entries] for tid, entries in result.plans.items()},
    )
    atomic_write_json(paths.selection, result.to_json())
    write_submission(result.plans, paths.submission)
    write_benchmarking_submissions(result.plans, trees, paths.submissions)
    return {"tasks": len(result.plans), "path": str(paths.submission), "judge": result.judge}


def _judge(cfg: RootConfig, trees: dict[str, Any]) -> Judge | None:
    """The judge strategy's model behind its own LLMClient on the run's response cache (None
    otherwise), under `run.max_cost_usd` with what the search already spent counted."""
    if cfg.selection.strategy != "judge":
        return None
    spec = judge_spec(cfg.selection)
    caps = None
    if cfg.run.max_cost_usd is not None:
        check_capped(spec)
        spent = sum(n["cost"] for tree in trees.values() for n in tree["nodes"])
        caps = SpendCaps(run_cap=cfg.run.max_cost_usd, account=LocalAccount(spent))
    return Judge(judge_client(spec, ResponseCache(cfg.cache.path, cfg.cache.mode)), spec.name, caps=caps)
