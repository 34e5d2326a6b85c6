"""Stage 3: two attempts per test input from each tree, in Kaggle and arc-agi-benchmarking formats."""

from __future__ import annotations

from typing import Any

from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.rundata import load_run_trees
from abmcts.experiment.runlock import run_lock
from abmcts.experiment.spend import model_problems, needs_ledger, open_ledger, run_account
from abmcts.io import atomic_write_json, read_json
from abmcts.llm.cache import ResponseCache
from abmcts.select import get_strategy, select_all, write_benchmarking_submissions, write_submission
from abmcts.select.judge import Judge, judge_client, judge_spec
from abmcts.sqlite_store import checkpoint
from abmcts.stages import Stage


def select_stage(cfg: RootConfig) -> dict[str, Any]:
    """Also writes `selection.json`: the two whole programs per task (scored as pass@2) and what a
    judge model cost, so scoring never re-runs (or re-pays) a strategy."""
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    tasks = read_json(paths.tasks, "tasks file")
    with run_lock(paths.run_dir, "select"):
        judge = _judge(cfg, paths)
        try:
            result = select_all(trees, tasks, cfg.selection.strategy, cfg.selection.params, judge)
        finally:
            if judge is not None:
                judge.client.cache.close()
                if judge.client.account is not None:
                    judge.client.account.close()
                checkpoint(*cfg.cache.store_paths())
        return _write(paths, trees, result)


def _write(paths: RunPaths, trees: dict[str, Any], result: Any) -> dict[str, Any]:
    atomic_write_json(
        paths.attempts,
        {tid: [entry.to_json() for entry in entries] for tid, entries in result.plans.items()},
    )
    atomic_write_json(paths.selection, result.to_json())
    write_submission(result.plans, paths.submission)
    write_benchmarking_submissions(result.plans, trees, paths.submissions)
    return {"tasks": len(result.plans), "path": str(paths.submission), "judge": result.judge}


def _judge(cfg: RootConfig, paths: RunPaths) -> Judge | None:
    """The judge strategy's model behind its own LLMClient on the run's response cache (None
    otherwise); a paid judge's calls go through the run's spend ledger, under `run.max_cost_usd`
    with everything the search spent counted."""
    if not get_strategy(cfg.selection.strategy).needs_judge:
        return None
    spec = judge_spec(cfg.selection)
    if cfg.run.max_cost_usd is not None:
        problems = model_problems(cfg, [spec])
        if problems:
            raise ConfigError("; ".join(problems))
    cache = ResponseCache(cfg.cache.path, cfg.cache.mode)
    account = None
    if needs_ledger([spec]):
        open_ledger(paths, cache).close()
        account = run_account(cfg, "select")
    return Judge(judge_client(spec, cache, account), spec.name)


STAGE = Stage(run=select_stage, entry_point="pipeline/select_attempts.py")
