"""An API-bound run: many tasks against a simulated provider, with the default executor.

120 ARC-AGI-1 training tasks x 25 calls, AB-MCTS-A, batch size 1, one model served by the provider
simulator (`abmcts.testing.provider`) with 0.5 s latency that accepts 64 requests in flight (429
above), the model configured with max_concurrency 64. The lower bound on wall time is
max(budget x latency, tasks x budget x latency / 64): one task's calls are sequential, and the
provider serves 64 at a time. Target: within 1.5x of it, peak memory < 1.5 GB, zero 429s. Then the
same with lognormal latency (median 0.5 s, sigma --sigma), whose bound uses the mean latency.

Prints per case: search wall time, the bound and the ratio, peak RSS (this process and children),
the provider's peak requests in flight and its 429s.

Run: .venv/bin/python bench/api_bound.py [--tasks 120] [--budget 25] [--latency-s 0.5] [--limit 64]
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from pathlib import Path

import yaml
from full_run import PeakMemory
from hydra import compose, initialize_config_dir

from abmcts.experiment.validate import validate_config
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage
from abmcts.testing.provider import ProviderConfig, ProviderSimulator

CONF = Path(__file__).resolve().parent.parent / "conf"


def cpu_s() -> float:
    """CPU seconds of this process and its waited-for children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def write_sim_models(work: Path, api_base: str, limit: int, backend: str | None = None) -> None:
    """`models=sim` (with `hydra.searchpath=[file://<work>]`): the simulator's one model, `limit` in
    flight, called through the `backend` kind (None: litellm, the default for its model string)."""
    spec = {
        "name": "sim",
        "model": "openai/sim",
        "api_base": api_base,
        "max_concurrency": limit,
        "timeout_s": 120.0,
        "max_retries": 0,  # a 429 would show as a failed node; the provider's log counts them
        **({"backend": backend} if backend else {}),
    }
    (work / "models").mkdir(parents=True, exist_ok=True)
    (work / "models" / "sim.yaml").write_text(yaml.safe_dump({"name": "sim", "specs": [spec]}))


def lower_bound(tasks: int, budget: int, provider: ProviderConfig, limit: int) -> float:
    """Seconds no scheduler can beat: one task's calls in sequence, or all calls `limit` at a time
    (at the mean latency: the lognormal's median x exp(sigma^2 / 2))."""
    mean = provider.latency_s * math.exp(provider.latency_sigma**2 / 2)
    return max(budget * mean, tasks * budget * mean / limit)


def config(work: Path, args: argparse.Namespace, api_base: str, name: str):
    write_sim_models(work, api_base, args.limit)
    overrides = [
        "data=arc1_training",
        "search=ab_mcts_a",
        "models=sim",
        "tracking=none",
        "~experiment",
        f"data.limit={args.tasks}",
        f"search.budget={args.budget}",
        f"data_dir={work / 'data'}",
        f"run.root={work / name}",
        f"cache.path={work / name / 'cache' / 'responses.sqlite'}",
        f"cache.executions_path={work / name / 'cache' / 'executions.sqlite'}",
        f"hydra.searchpath=[file://{work}]",
    ]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return validate_config(compose("config", overrides=overrides))


def run_case(work: Path, args: argparse.Namespace, name: str, provider: ProviderConfig) -> None:
    with ProviderSimulator(provider) as srv:
        cfg = config(work, args, srv.api_base, name)
        if not Path(cfg.data_dir, cfg.data.name).exists():
            fetch_stage(cfg)
        with PeakMemory() as mem:
            start, t0, cpu0 = time.perf_counter(), time.monotonic(), cpu_s()
            summary = search_stage(cfg, progress=False)
            wall, cpu = time.perf_counter() - start, cpu_s() - cpu0
        log = srv.completions()
    bound = lower_bound(args.tasks, args.budget, provider, args.limit)
    failed = sum(1 for r in log if r.outcome != "ok")
    first, last = log[0].t - t0, log[-1].t - t0
    print(
        f"  first request at {first:.1f} s, last at {last:.1f} s (start-up {first:.1f} s, calls {last - first:.1f} s); "
        f"CPU {cpu:.1f} s (this process incl. the simulator, and the finished workers): "
        f"{1000 * cpu / max(summary['calls'], 1):.1f} ms per call"
    )
    print(
        f"[{name}] {summary['tasks']} tasks x {args.budget} calls = {summary['calls']} calls: "
        f"wall {wall:.1f} s, bound {bound:.1f} s, ratio {wall / bound:.2f} (target <= 1.5); "
        f"peak RSS {mem.peak_mb:.0f} MB; provider: peak in flight {srv.peak_in_flight}, "
        f"429s {sum(r.outcome == 'limit' for r in log)}, other non-ok {failed - sum(r.outcome == 'limit' for r in log)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=120)
    parser.add_argument("--budget", type=int, default=25)
    parser.add_argument("--latency-s", type=float, default=0.5)
    parser.add_argument("--sigma", type=float, default=0.5, help="lognormal case: sigma of log-latency")
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        fixed = ProviderConfig(latency_s=args.latency_s, max_in_flight=args.limit)
        run_case(work, args, "fixed", fixed)
        tail = ProviderConfig(latency_s=args.latency_s, latency_sigma=args.sigma, max_in_flight=args.limit)
        run_case(work, args, "lognormal", tail)


if __name__ == "__main__":
    main()
