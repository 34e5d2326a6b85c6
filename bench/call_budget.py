"""A run-wide call budget against the fixed per-task budget, at equal total calls (issue 12).

Two pipeline runs on the same tasks, offline models, Multi-model AB-MCTS-A: every task gets
`--per-task` calls, or the run gets `--per-task` x tasks calls with `run.max_calls` (settled tasks
stop early, their calls go to the open ones, `--ceiling` calls at most per task). Prints pass@budget
(a program in the tree solves the test) and pass@2 (Sakana's rule) of both, with 95% bootstrap
intervals and the paired difference (exact McNemar p), from the score stage's per-task rows.

Run: .venv/bin/python bench/call_budget.py [--data arc1_evaluation] [--per-task 100] [--ceiling 250]
     [--workdir /tmp/abmcts-callbudget]   (point --workdir at a previous run's caches to replay)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hydra import compose, initialize_config_dir

from abmcts.experiment.paths import RunPaths
from abmcts.experiment.validate import validate_config
from abmcts.io import read_json
from abmcts.score.stats import bootstrap_ci, paired_test
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.score import score_stage
from abmcts.stages.search import search_stage
from abmcts.stages.select import select_stage

CONF = Path(__file__).resolve().parent.parent / "conf"


def run(args: argparse.Namespace, name: str, overrides: list[str]) -> tuple[dict, list[dict], float]:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = validate_config(
            compose(
                "config",
                overrides=[
                    "experiment=full",
                    f"data={args.data}",
                    "search=ab_mcts_a",
                    "models=offline",
                    "tracking=none",
                    f"data_dir={args.workdir}/data",
                    f"run.root={args.workdir}/{name}",
                    f"cache.path={args.workdir}/cache/responses.sqlite",
                    f"cache.executions_path={args.workdir}/cache/executions.sqlite",
                    *overrides,
                ],
            )
        )
    if not RunPaths.of(cfg).tasks.exists():
        fetch_stage(cfg)
    start = time.perf_counter()
    summary = search_stage(cfg, progress=False)
    select_stage(cfg)
    score_stage(cfg)
    rows = read_json(RunPaths.of(cfg).per_task, "per-task rows")
    return summary, rows, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="arc1_evaluation")
    parser.add_argument("--per-task", type=int, default=100)
    parser.add_argument("--ceiling", type=int, default=250)
    parser.add_argument("--workdir", default="/tmp/abmcts-callbudget")
    args = parser.parse_args()
    fixed = run(args, "fixed", [f"search.budget={args.per_task}"])
    n_tasks = len(fixed[1])
    shared = run(
        args, "shared", [f"search.budget={args.ceiling}", f"run.max_calls={args.per_task * n_tasks}"]
    )
    print(f"{args.data}: {n_tasks} tasks, {args.per_task * n_tasks} calls in all")
    print("| setup | calls | pass@budget [95% CI] | pass@2 [95% CI] | stopped | wall s |")
    print("|---|---:|---|---|---|---:|")
    for label, (summary, rows, wall) in (
        (f"fixed {args.per_task} per task", fixed),
        (f"run.max_calls, ceiling {args.ceiling}", shared),
    ):
        cells = []
        for key in ("pass_at_budget", "pass_at_2"):
            ci = bootstrap_ci([r[key] for r in rows])
            cells.append(f"{sum(r[key] for r in rows)} ({ci.value:.1%} [{ci.ci_low:.1%}, {ci.ci_high:.1%}])")
        print(
            f"| {label} | {summary['calls']} | {cells[0]} | {cells[1]} | {summary.get('stopped', {})} | {wall:.0f} |"
        )
    for key in ("pass_at_budget", "pass_at_2"):
        a = {r["task_id"]: r[key] for r in shared[1]}
        b = {r["task_id"]: r[key] for r in fixed[1]}
        test = paired_test([a[t] for t in sorted(a)], [b[t] for t in sorted(a)])
        print(
            f"{key}: shared - fixed = {test.diff * n_tasks:+.0f} tasks "
            f"[{test.ci_low * n_tasks:+.0f}, {test.ci_high * n_tasks:+.0f}], p = {test.p_value:.3g} ({test.method})"
        )


if __name__ == "__main__":
    main()
