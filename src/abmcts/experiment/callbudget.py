"""A run-wide call budget (`run.max_calls`): settled tasks stop early, their calls go to open ones.

Passes over the run's tasks: in the first, every task may spend an equal share of the budget
(never more than `search.budget`, which stays each task's ceiling) and stops early once it is
settled (`runner.settled`: two different programs solve every demonstration and agree on every
test output). What the first pass did not spend is split equally among the tasks that used their
whole share without settling, and so on, until the budget cannot give every open task one more
call or no task is open. A pass resumes each open tree from its file, so the result is the search
that one longer run of that task would have made, and a rerun with the same budget is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abmcts.arc.task import Task
from abmcts.errors import ConfigError
from abmcts.experiment.config import RootConfig
from abmcts.experiment.parallel import WorkerPool, run_tasks, sum_counts
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.runner import CALL_BUDGET

PASS_SUMS = ("cache", "executions", "timings_s")  # per-task counters added up over passes


def search_with_call_budget(
    cfg: RootConfig,
    tasks: list[Task],
    paths: RunPaths,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    pool: WorkerPool | None = None,
) -> list[dict[str, Any]]:
    """Search `tasks` within `cfg.run.max_calls` calls in all; one summary per task, by task id
    (every pass on the same worker processes when `pool` is given)."""
    total, ceiling = cfg.run.max_calls, cfg.search.budget
    if total is None or total < len(tasks):
        raise ConfigError(f"config run.max_calls={total!r}: below one call per task ({len(tasks)} tasks)")
    by_id = {task.task_id: task for task in tasks}
    limits = {tid: min(ceiling, total // len(tasks)) for tid in by_id}
    results: dict[str, dict[str, Any]] = {}
    while limits:
        for summary in run_tasks(
            cfg,
            [by_id[t] for t in limits],
            paths,
            progress=progress,
            on_result=on_result,
            limits=limits,
            pool=pool,
        ):
            results[summary["task_id"]] = _merge(results.get(summary["task_id"]), summary)
        left = total - sum(r["calls"] for r in results.values())
        open_ids = sorted(t for t, r in results.items() if r["stop_reason"] == CALL_BUDGET)
        if not open_ids or left < len(open_ids):
            break
        share = left // len(open_ids)
        limits = {t: min(ceiling, results[t]["calls"] + share) for t in open_ids}
    return [results[t] for t in sorted(results)]


def _merge(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """A task's summary over passes: the last pass's tree, the counters of every pass."""
    if before is None:
        return after
    return {**after, **{key: sum_counts([before[key], after[key]]) for key in PASS_SUMS}}
