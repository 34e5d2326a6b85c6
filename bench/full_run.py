"""A full evaluation run with offline models: cold (models called), then replayed from the caches.

Default: ARC-AGI-2 public evaluation (120 tasks) x 250 calls, AB-MCTS-M, 2 local joblib workers.
Target on 2 cores: the replay finishes in under 5 minutes; AB-MCTS-M's own time is under 5 %.

Prints, per phase: stage wall times, peak memory (RSS summed over this process and all its
children, sampled every 0.2 s), the split of the workers' time (search algorithm, prompt
rendering, LLM client = offline model + response cache, sandbox = execution (cache), checkpoint
I/O, other), cache counters, MLflow tracking time, tree bytes per node, and whether the replayed
trees are byte-identical to the cold ones. Writes the same numbers to <workdir>/report.json.

Run:  .venv/bin/python bench/full_run.py [--tasks 120] [--budget 250] [--workdir /tmp/abmcts-full]
      --phase replay reuses an existing cold run in --workdir; --no-exec-cache replays with every
      program executed again (response cache only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from hydra import compose, initialize_config_dir

from abmcts.cli import run_stage
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.validate import validate_config
from abmcts.stages.fetch import fetch_stage
from abmcts.tracking import hooks

CONF = Path(__file__).resolve().parent.parent / "conf"
PHASES = ("search", "prompt", "llm", "sandbox", "checkpoint")


class PeakMemory:
    """Peak of the summed RSS of this process and its descendants (loky workers, sandbox zygotes)."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.peak_mb = 0.0
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self._every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def config(args: argparse.Namespace, root: str, mode: str) -> Any:
    work = Path(args.workdir).resolve()
    overrides = [
        f"data={args.data}",
        f"search={args.search}",
        "models=offline",
        f"executor={args.executor}",
        f"executor.n_jobs={args.n_jobs}",
        "~experiment",
        f"data.limit={args.tasks}",
        f"search.budget={args.budget}",
        f"search.batch_size={args.batch_size}",
        f"data_dir={work / 'data'}",
        f"run.root={work / root}",
        f"cache.path={work / 'cache' / 'responses.sqlite'}",
        f"cache.executions_path={work / 'cache' / 'executions.sqlite'}",
        f"cache.mode={mode}",
        f"++cache.executions={'false' if args.no_exec_cache and mode == 'replay' else 'true'}",
        "tracking=mlflow_local",
        f"tracking.uri=sqlite:///{work / 'mlflow.db'}",
    ]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return validate_config(compose("config", overrides=overrides))


def timed_report(box: dict[str, float]) -> Any:
    """Tracking's score report hook, timing itself into `box`."""
    original = hooks.HOOKS["score"]["report"]

    def wrapper(*a: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            box["tracking_s"] = box.get("tracking_s", 0.0) + time.perf_counter() - start

    return wrapper


def run_phase(args: argparse.Namespace, name: str, mode: str) -> dict[str, Any]:
    cfg = config(args, name, mode)
    paths = RunPaths.of(cfg)
    if paths.run_dir.exists():
        shutil.rmtree(paths.run_dir)
    if not paths.tasks.exists():
        fetch_stage(cfg)
    walls: dict[str, float] = {}
    box: dict[str, float] = {}
    hooks.HOOKS["score"]["report"] = timed_report(box)
    with PeakMemory() as mem:
        start = time.perf_counter()
        summary = run_stage("search", cfg, progress=False)  # tracked as the pipeline tracks it
        walls["search"] = time.perf_counter() - start
        for stage in ("select", "score"):
            t = time.perf_counter()
            result = run_stage(stage, cfg)
            walls[stage] = time.perf_counter() - t
        walls["total"] = time.perf_counter() - start
    timings = summary["timings_s"]
    task_time = timings.pop("task")
    split = {k: timings[k] for k in PHASES}
    split["other"] = task_time - sum(split.values())
    trees = sorted(paths.trees.glob("*.json"))
    nbytes = sum(p.stat().st_size for p in trees)
    return {
        "phase": name,
        "cache_mode": mode,
        "exec_cache": cfg.cache.executions,
        "tasks": summary["tasks"],
        "calls": summary["calls"],
        "wall_s": {k: round(v, 2) for k, v in walls.items()},
        "tracking_s": round(box.get("tracking_s", 0.0), 2),
        "peak_rss_mb": round(mem.peak_mb),
        "worker_s": round(task_time, 2),
        "split_s": {k: round(v, 2) for k, v in split.items()},
        "split_pct": {k: round(100 * v / task_time, 1) for k, v in split.items()},
        "ms_per_call": round(1000 * walls["search"] / max(summary["calls"], 1), 2),
        "cache": summary["cache"],
        "executions": summary["executions"],
        "tree_bytes_per_node": round(nbytes / max(summary["calls"], 1)),
        "tree_mb": round(nbytes / 2**20, 1),
        "pass_at_2": result.get("pass_at_2"),
        "trees_dir": str(paths.trees),
    }


def identical_trees(a: str, b: str) -> bool:
    left, right = sorted(Path(a).glob("*.json")), sorted(Path(b).glob("*.json"))
    return [p.name for p in left] == [p.name for p in right] and all(
        x.read_bytes() == y.read_bytes() for x, y in zip(left, right, strict=True)
    )


def show(report: dict[str, Any]) -> None:
    print(
        f"\n[{report['phase']}] {report['tasks']} tasks x {report['calls'] // max(report['tasks'], 1)} calls, "
        f"cache={report['cache_mode']} exec_cache={report['exec_cache']}"
    )
    w = report["wall_s"]
    print(
        f"  wall: total {w['total']:.1f} s (search {w['search']:.1f}, select {w['select']:.1f}, "
        f"score {w['score']:.1f} incl. MLflow {report['tracking_s']:.1f}); {report['ms_per_call']} ms/call"
    )
    print(f"  peak RSS (all processes): {report['peak_rss_mb']} MB")
    parts = ", ".join(
        f"{k} {report['split_s'][k]:.1f} s ({report['split_pct'][k]}%)" for k in report["split_s"]
    )
    print(f"  worker time {report['worker_s']:.1f} s: {parts}")
    print(f"  response cache {report['cache']}  executions {report['executions']}")
    print(
        f"  trees: {report['tree_mb']} MB, {report['tree_bytes_per_node']} bytes/node, pass@2 {report['pass_at_2']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=120)
    parser.add_argument("--budget", type=int, default=250)
    parser.add_argument("--data", default="arc2_evaluation")
    parser.add_argument("--search", default="ab_mcts_m")
    parser.add_argument("--executor", default="local", choices=("local", "sequential", "dask"))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--workdir", default="/tmp/abmcts-full")
    parser.add_argument("--phase", default="both", choices=("both", "cold", "replay"))
    parser.add_argument("--no-exec-cache", action="store_true", help="replay executes every program again")
    args = parser.parse_args()
    work = Path(args.workdir)
    if args.phase in ("both", "cold") and (work / "cache").exists():
        shutil.rmtree(work / "cache")  # a cold run starts from empty caches
    reports = []
    if args.phase in ("both", "cold"):
        reports.append(run_phase(args, "cold", "readwrite"))
        show(reports[-1])
    if args.phase in ("both", "replay"):
        reports.append(run_phase(args, "replay", "replay"))
        reports[-1]["byte_identical_to_cold"] = identical_trees(
            reports[-1]["trees_dir"], reports[-1]["trees_dir"].replace("/replay/", "/cold/")
        )
        show(reports[-1])
        print(f"  replayed trees byte-identical to the cold run: {reports[-1]['byte_identical_to_cold']}")
    work.mkdir(parents=True, exist_ok=True)
    (work / "report.json").write_text(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
