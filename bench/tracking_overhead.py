"""What MLflow tracking costs a cold offline search: wall time with tracking off vs on, side by side.

Each repetition runs the search stage twice on the same tasks with fresh (cold) caches, once with
`tracking.enabled=false` and once with live progress and a trace per task (order alternating), in
this process, with mlflow imported beforehand (its import, once per process, is reported apart).
It also checks that the tree files of both runs are byte-identical (tracking never changes them).
On a shared machine wall times are noisy, so it also reports the steadier CPU share: the
main-process hook's CPU seconds (`SearchMonitor`: progress + traces) over the workers' search
seconds (sum of the tasks' `timings_s.task`).

    python bench/tracking_overhead.py [--tasks 16] [--budget 50] [--reps 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def config(tmp: Path, name: str, tracked: bool, tasks: int, budget: int):
    from hydra import compose, initialize_config_dir

    from abmcts.experiment.validate import validate_config

    overrides = [
        "experiment=smoke",
        f"data.limit={tasks}",
        f"search.budget={budget}",
        "executor.n_jobs=2",
        f"data_dir={tmp / 'data'}",
        f"run.root={tmp / name}",
        f"cache.path={tmp / name / 'cache' / 'responses.sqlite'}",  # fresh caches: a cold run
        f"cache.executions_path={tmp / name / 'cache' / 'executions.sqlite'}",
        "tracking=mlflow_local" if tracked else "tracking=none",
        f"tracking.uri=sqlite:///{tmp / 'mlflow.db'}",
    ]
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return validate_config(compose(config_name="config", overrides=overrides))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()

    import abmcts.tracking.live as live
    from abmcts.cli import run_stage
    from abmcts.experiment.paths import RunPaths
    from abmcts.stages.fetch import fetch_stage

    start = time.perf_counter()
    import mlflow  # noqa: F401

    print(f"mlflow import: {time.perf_counter() - start:.2f} s (once per tracked process)")
    monitors: list = []
    original_init = live.SearchMonitor.__init__

    def keep(self, *a, **k):  # remember each run's monitor to read its busy time
        original_init(self, *a, **k)
        monitors.append(self)

    live.SearchMonitor.__init__ = keep
    walls: dict[str, list[float]] = {"off": [], "on": []}
    hook_wall, hook_cpu, worker_s = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        fetch_stage(config(tmp, "fetch", False, args.tasks, args.budget))
        from mlflow.tracking import MlflowClient

        t0 = time.perf_counter()
        MlflowClient(f"sqlite:///{tmp / 'mlflow.db'}").search_experiments()  # creates the store
        print(f"new sqlite store: {time.perf_counter() - t0:.2f} s (once per store, not timed below)")
        for rep in range(args.reps):
            order = ("off", "on") if rep % 2 == 0 else ("on", "off")
            trees = {}
            for mode in order:
                cfg = config(tmp, f"{mode}{rep}", mode == "on", args.tasks, args.budget)
                t0 = time.perf_counter()
                summary = run_stage("search", cfg, progress=False)  # with tracking's hooks when on
                walls[mode].append(time.perf_counter() - t0)
                trees[mode] = {p.name: p.read_bytes() for p in sorted(RunPaths.of(cfg).trees.glob("*.json"))}
                if mode == "on":
                    hook_wall.append(monitors[-1].busy_s)
                    hook_cpu.append(monitors[-1].busy_cpu_s)
                    worker_s.append(summary["timings_s"]["task"])
            if trees["off"] != trees["on"]:
                sys.exit(f"rep {rep}: tree files differ between tracking off and on")
            print(
                f"rep {rep}: wall off {walls['off'][-1]:.2f} s, on {walls['on'][-1]:.2f} s; hook"
                f" {hook_wall[-1]:.3f} s wall, {hook_cpu[-1]:.3f} s CPU; workers {worker_s[-1]:.1f} s"
            )
    ratios = [on / off for on, off in zip(walls["on"], walls["off"], strict=True)]
    shares = [c / w for c, w in zip(hook_cpu, worker_s, strict=True)]
    calls = args.tasks * args.budget
    print(f"{args.tasks} tasks x {args.budget} calls, {args.reps} reps; trees byte-identical: yes")
    for mode in ("off", "on"):
        print(f"wall {mode}: {statistics.mean(walls[mode]):.2f} s (sd {statistics.stdev(walls[mode]):.2f})")
    print(
        f"on/off wall: {statistics.mean(ratios):.3f} (sd {statistics.stdev(ratios):.3f}; {[round(r, 3) for r in ratios]})"
    )
    print(
        f"hook CPU / worker search time: {statistics.mean(shares):.2%} (sd {statistics.stdev(shares):.2%});"
        f" {1e3 * statistics.mean(hook_cpu) / calls:.2f} ms CPU per call;"
        f" hook wall {statistics.mean(hook_wall):.2f} s per run (overlaps the workers)"
    )


if __name__ == "__main__":
    main()
