"""This checkout against an earlier commit, side by side in one invocation: start-up and API-bound
runs, the offline full run, and what tracking costs, with the ratios.

REV is checked out into a temporary git worktree; every case runs on both checkouts (each its own
pipeline/, conf/ and src/; the bench scripts are this checkout's), in fresh processes, alternating
which goes first from round to round. On a shared machine only the ratios of runs made side by side mean much: each line gives
both medians, the ratio's median and range, and the load average seen during the runs.

Cases (--cases, default all but full):
  startup   `pipeline/search.py` API-bound: 60 tasks x 8 calls, 0.5 s latency, 64 in flight, tracking
            on (a fresh MLflow sqlite store): the first request's delay after the command (target
            <= 2 s), wall (target <= 2 x ideal + 2 s), CPU per call of all the command's processes
  startup-off  the same with tracking=none
  api       the same command, 120 x 25 at fixed and at lognormal latency: wall / bound (target
            <= 1.4); the CPU per call past start-up: (CPU of 120 x 25 - CPU of startup-off) /
            (3000 - 480) calls (target <= 5 ms)
  full      ARC-AGI-2 evaluation, 120 x 250, AB-MCTS-M, offline (bench/full_run.py):
            cold (fresh caches; target <= 150 s) and replay (target <= 20 s), each no slower than REV
  tracking  bench/tracking_overhead.py: wall with tracking on / off (target <= 1.05)

Run: python bench/side_by_side.py --baseline HEAD~1 [--rounds 2] [--cases startup,api,full,tracking]
     [--backend openai_compatible]  (the simulated model's kind; a baseline without it uses litellm)
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from api_bound import lower_bound, write_sim_models

from abmcts.testing.provider import ProviderConfig, ProviderSimulator

REPO = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER = 36
LIMIT, LATENCY_S, SIGMA = 64, 0.5, 0.5
ALL_CASES = ("startup", "startup-off", "api", "full", "tracking")
Metrics = dict[str, float]


@dataclass
class Side:
    name: str
    root: Path
    data: Path  # data_dir for the API-bound runs (ARC-AGI-1 training, fetched once)
    bench: Path  # this checkout's bench scripts, placed where they find the side's conf/
    backend: str = "litellm"  # the simulated model's backend kind (an older side may not have --backend's)
    results: dict[str, list[Metrics]] = field(default_factory=dict)
    loads: dict[str, list[float]] = field(default_factory=dict)


def children_cpu_s() -> float:
    """CPU seconds of every waited-for descendant (orphans included: this process is their subreaper)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def reap_orphans(timeout_s: float = 30.0) -> None:
    """Wait for the command's orphaned descendants (sandbox zygotes...), so their CPU is counted."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def run_search(
    side: Side, work: Path, name: str, tasks: int, budget: int, provider: ProviderConfig, tracked: bool
) -> Metrics:
    """`pipeline/search.py` of `side` against the simulator, from a fresh working directory."""
    cwd = work / name
    for part in ("conf", "pipeline"):  # a scratch copy of the project, with the simulator's model added
        shutil.copytree(side.root / part, cwd / part)
    with ProviderSimulator(provider) as srv:
        write_sim_models(cwd / "conf", srv.api_base, LIMIT, side.backend)
        overrides = [
            "data=arc1_training",
            "search=ab_mcts_a",
            "models=sim",
            "~experiment",
            f"data.limit={tasks}",
            f"search.budget={budget}",
            f"data_dir={side.data}",
            "tracking=mlflow_local" if tracked else "tracking=none",  # mlflow_local: ./mlflow.db, fresh
        ]
        cpu0, start = children_cpu_s(), time.monotonic()
        proc = subprocess.run(
            [sys.executable, "pipeline/search.py", *overrides],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(side.root / "src")},
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - start
        reap_orphans()
        cpu = children_cpu_s() - cpu0
        log = srv.completions()
    if proc.returncode != 0 or not log:
        sys.exit(f"{side.name} {name}: search failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    calls = len(log)
    bound = lower_bound(tasks, budget, provider, LIMIT)
    return {
        "first_request_s": log[0].t - start,
        "wall_s": wall,
        "wall_over_bound": wall / bound,
        "calls_phase_over_bound": (log[-1].t - log[0].t) / bound,
        "cpu_s": cpu,
        "cpu_ms_per_call": 1000 * cpu / calls,
        "calls": calls,
        "429s": sum(r.outcome == "limit" for r in log),
    }


def fetch_data(side: Side) -> None:
    side.data.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            str(side.root / "pipeline" / "fetch.py"),
            "data=arc1_training",
            f"data_dir={side.data}",
            "tracking=none",
        ],
        cwd=side.data,
        env={**os.environ, "PYTHONPATH": str(side.root / "src")},
        check=True,
        capture_output=True,
    )


def case_startup(side: Side, work: Path, tracked: bool = True) -> Metrics:
    name = "startup" if tracked else "startup-off"
    out = run_search(
        side, work, name, 60, 8, ProviderConfig(latency_s=LATENCY_S, max_in_flight=LIMIT), tracked
    )
    ideal = 8 * LATENCY_S  # 480 calls, 64 at a time: 7.5 x 0.5 s; one task's 8 in sequence: 4 s
    out["wall_over_2ideal_plus_2"] = out["wall_s"] / (2 * ideal + 2)
    return out


def case_api(side: Side, work: Path) -> Metrics:
    out: Metrics = {}
    for label, sigma in (("fixed", 0.0), ("lognormal", SIGMA)):
        provider = ProviderConfig(latency_s=LATENCY_S, latency_sigma=sigma, max_in_flight=LIMIT)
        m = run_search(side, work, f"api-{label}", 120, 25, provider, tracked=False)
        out.update(
            {
                f"{label}_{k}": v
                for k, v in m.items()
                if k in ("wall_over_bound", "calls_phase_over_bound", "cpu_s", "429s")
            }
        )
    return out


def case_full(side: Side, work: Path) -> Metrics:
    report_dir = work / "full"
    subprocess.run(
        [sys.executable, str(side.bench / "full_run.py"), f"--workdir={report_dir}"],
        cwd=side.root,
        env={**os.environ, "PYTHONPATH": str(side.root / "src")},
        check=True,
        capture_output=True,
    )
    reports = {r["phase"]: r for r in json.loads((report_dir / "report.json").read_text())}
    return {
        "cold_total_s": reports["cold"]["wall_s"]["total"],
        "cold_search_s": reports["cold"]["wall_s"]["search"],
        "replay_total_s": reports["replay"]["wall_s"]["total"],
        "replay_search_s": reports["replay"]["wall_s"]["search"],
        "replay_identical": float(reports["replay"].get("byte_identical_to_cold", False)),
    }


def case_tracking(side: Side, work: Path) -> Metrics:
    proc = subprocess.run(
        [sys.executable, str(side.bench / "tracking_overhead.py")],
        cwd=side.root,
        env={**os.environ, "PYTHONPATH": str(side.root / "src"), "TMPDIR": str(work)},
        check=True,
        capture_output=True,
        text=True,
    )
    ratio = re.search(r"on/off wall: ([0-9.]+)", proc.stdout)
    if ratio is None:
        sys.exit(f"{side.name} tracking: no 'on/off wall' line in:\n{proc.stdout[-2000:]}")
    return {"on_over_off_wall": float(ratio.group(1))}


CASES: dict[str, Callable[[Side, Path], Metrics]] = {
    "startup": case_startup,
    "startup-off": lambda side, work: case_startup(side, work, tracked=False),
    "api": case_api,
    "full": case_full,
    "tracking": case_tracking,
}
# metric -> (target, "max" / "min"): checked against this checkout's median
TARGETS = {
    "startup.first_request_s": 2.0,
    "startup.wall_over_2ideal_plus_2": 1.0,
    "api.fixed_wall_over_bound": 1.4,
    "api.lognormal_wall_over_bound": 1.4,
    "api.cpu_ms_per_call_past_startup": 5.0,
    "full.cold_total_s": 150.0,
    "full.replay_total_s": 20.0,
    "tracking.on_over_off_wall": 1.05,
}


@contextlib.contextmanager
def baseline_worktree(rev: str) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="side-by-side-"))
    path = tmp / "baseline"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), rev],
        check=True,
        capture_output=True,
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], capture_output=True
        )
        shutil.rmtree(tmp, ignore_errors=True)


def derived(side: Side) -> None:
    """CPU per call past start-up: the 120 x 25 run's CPU less the 60 x 8 one's, over the extra calls."""
    api, base = side.results.get("api"), side.results.get("startup-off")
    if api and base:
        for run, b in zip(api, base, strict=False):
            run["cpu_ms_per_call_past_startup"] = 1000 * (run["fixed_cpu_s"] - b["cpu_s"]) / (3000 - 480)


def report(this: Side, base: Side) -> None:
    for case in this.results:
        load = statistics.mean(this.loads[case] + base.loads[case])
        print(
            f"\n[{case}] load average during the runs {load:.1f} (2 cores), rounds {len(this.results[case])}"
        )
        for metric in this.results[case][0]:
            mine = [r[metric] for r in this.results[case]]
            theirs = [r[metric] for r in base.results[case]]
            ratios = [a / b for a, b in zip(mine, theirs, strict=True) if b]
            target = TARGETS.get(f"{case}.{metric}")
            verdict = ""
            if target is not None:
                verdict = (
                    f"  target <= {target:g}: {'met' if statistics.median(mine) <= target else 'NOT met'}"
                )
            spread = f" ({min(ratios):.2f}..{max(ratios):.2f})" if len(ratios) > 1 else ""
            ratio = f"{statistics.median(ratios):.3f}{spread}" if ratios else "-"
            print(
                f"  {metric:32s} this {statistics.median(mine):9.3f}  {base.name} {statistics.median(theirs):9.3f}"
                f"  ratio {ratio}{verdict}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", required=True, help="a git revision (e.g. HEAD~1)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--cases", default="startup,startup-off,api,tracking", help=f"comma-separated: {','.join(ALL_CASES)}"
    )
    parser.add_argument(
        "--backend",
        default="litellm",
        help="backend kind of the simulated model (litellm, openai_compatible); a baseline without it uses litellm",
    )
    parser.add_argument("--json", help="also write every measurement to this file")
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(ALL_CASES))
    if unknown:
        sys.exit(f"--cases: unknown {', '.join(unknown)} (known: {', '.join(ALL_CASES)})")
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)
    rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", args.baseline],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with (
        baseline_worktree(args.baseline) as base_root,
        tempfile.TemporaryDirectory(prefix="side-by-side-runs-") as tmp,
    ):
        # the bench scripts are this checkout's on both sides (an older commit's may predate the
        # package's layout), each run with its side's src/ and conf/
        shutil.copytree(
            REPO / "bench", base_root / "bench-this", ignore=shutil.ignore_patterns("__pycache__")
        )
        kinds = [
            args.backend if (root / f"src/abmcts/llm/backends/{args.backend}.py").exists() else "litellm"
            for root in (REPO, base_root)
        ]
        sides = [
            Side("this", REPO, Path(tmp) / "this-data", REPO / "bench", kinds[0]),
            Side(rev, base_root, Path(tmp) / "base-data", base_root / "bench-this", kinds[1]),
        ]
        print(
            f"this checkout ({REPO}) vs {args.baseline} = {rev}; {os.cpu_count()} cores; cases {', '.join(cases)}"
            f"; simulated model's backend: this {kinds[0]}, {rev} {kinds[1]}",
            flush=True,
        )
        for side in sides:
            fetch_data(side)
        for r in range(args.rounds):
            for case in cases:
                for side in sides if r % 2 == 0 else sides[::-1]:
                    work = Path(tmp) / f"{side.name}-{case}-{r}"
                    work.mkdir()
                    load0 = os.getloadavg()[0]
                    metrics = CASES[case](side, work)
                    side.results.setdefault(case, []).append(metrics)
                    side.loads.setdefault(case, []).extend([load0, os.getloadavg()[0]])
                    print(
                        f"  round {r} {case} {side.name}: {json.dumps({k: round(v, 3) for k, v in metrics.items()})}",
                        flush=True,
                    )
                    shutil.rmtree(work, ignore_errors=True)  # every run starts fresh
        for side in sides:
            derived(side)
        this, base = sides
        report(this, base)
        if args.json:
            Path(args.json).write_text(
                json.dumps({s.name: {"results": s.results, "loads": s.loads} for s in sides}, indent=1)
            )


if __name__ == "__main__":
    main()
