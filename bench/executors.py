"""Wall time of the search stage per executor: local (the scheduler's worker processes) vs a local
Ray instance vs a local Dask cluster.

Offline models, AB-MCTS-A, `--tasks` ARC-AGI-1 training tasks x `--budget` calls, `--n-jobs` workers.
Every executor gets its own empty caches, so each run makes the same calls; the trees must come out
byte-identical to the local run. The wall time includes starting and stopping the cluster, which is
also timed on its own (`startup`); `peak MB` is the largest summed RSS of this process and all of its
children (cluster daemons, workers, sandboxes), sampled every 0.1 s.

Run: .venv/bin/python bench/executors.py [--tasks 10] [--budget 50] [--n-jobs 2] [--executors local,ray,dask]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from full_run import PeakMemory  # bench/ is on sys.path when a bench script runs
from hydra import compose, initialize_config_dir

from abmcts.experiment.parallel import joblib_backend
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.validate import validate_config
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage

CONF = str(Path(__file__).resolve().parents[1] / "conf")


def config(tmp: Path, executor: str, tasks: int, budget: int, n_jobs: int):
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                "experiment=smoke",
                "search=ab_mcts_a",
                f"data.limit={tasks}",
                f"search.budget={budget}",
                f"executor={executor}",
                f"executor.n_jobs={n_jobs}",
                f"data_dir={tmp / 'data'}",
                f"run.root={tmp / executor}",
                f"cache.path={tmp / executor / 'cache' / 'responses.sqlite'}",
                f"cache.executions_path={tmp / executor / 'cache' / 'executions.sqlite'}",
            ],
        )
    return validate_config(cfg)


def startup_s(cfg) -> float:
    """Seconds to start and stop the executor's cluster with no work (about 0 for local)."""
    start = time.perf_counter()
    with joblib_backend(cfg.executor):
        pass
    return time.perf_counter() - start


def tree_bytes(cfg) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(RunPaths.of(cfg).trees.glob("*.json"))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--executors", default="local,ray,dask")
    args = parser.parse_args()
    names = args.executors.split(",")
    if names[0] != "local":
        names.insert(0, "local")  # the reference for ratios and trees
    with tempfile.TemporaryDirectory() as tmp:
        rows, reference = [], {}
        for name in names:
            cfg = config(Path(tmp), name, args.tasks, args.budget, args.n_jobs)
            if not reference:
                fetch_stage(cfg)
            up = startup_s(cfg)
            with PeakMemory(every_s=0.1) as memory:
                start = time.perf_counter()
                summary = search_stage(cfg, progress=False)
                wall = time.perf_counter() - start
            trees = tree_bytes(cfg)
            reference = reference or trees
            assert summary["calls"] == args.tasks * args.budget, summary
            rows.append((name, wall, up, memory.peak_mb, trees == reference))
    local = rows[0][1]
    print(f"{args.tasks} tasks x {args.budget} calls, AB-MCTS-A, offline models, n_jobs={args.n_jobs}")
    print(f"{'executor':<8} {'wall s':>7} {'x local':>8} {'startup s':>10} {'peak MB':>8}  trees")
    for name, wall, up, peak, same in rows:
        verdict = "identical" if same else "DIFFERENT"
        print(f"{name:<8} {wall:7.2f} {wall / local:8.2f} {up:10.2f} {peak:8.0f}  {verdict}")


if __name__ == "__main__":
    main()
