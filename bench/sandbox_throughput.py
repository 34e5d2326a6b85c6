"""Sandbox executor throughput (trivial programs, several threads) and timed-out call latency.

Targets: > 500 executions/s warm on 2 cores; a timed-out call returns within timeout + 0.5 s;
within 10% of the previous commit's throughput (`--baseline REV` measures both side by side:
alternating rounds, each in a fresh process, the older sandbox code taken from `git archive REV`).
Usage: python bench/sandbox_throughput.py [--workers 2] [--threads 4] [--calls 1000] [--baseline HEAD~1]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from abmcts.sandbox.pool import Executor

TRIVIAL = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
NUMPY = "import numpy as np\n\ndef transform(grid):\n    return np.rot90(np.array(grid)).tolist()\n"
LOOP = "def transform(grid):\n    while True:\n        pass\n"
GRIDS = [[[1, 2, 3], [4, 5, 6]], [[7, 8], [9, 0]], [[1]]]


def throughput(ex: Executor, code: str, calls: int, threads: int) -> float:
    expected = ex.run(code, GRIDS)
    assert all(r.ok for r in expected), expected
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: ex.run(code, GRIDS), range(calls)))
    elapsed = time.perf_counter() - start
    assert all(r == expected for r in results)
    return calls / elapsed


def timeout_latency(ex: Executor, timeout_s: float, repeats: int) -> list[float]:
    latencies = []
    for _ in range(repeats):
        start = time.perf_counter()
        results = ex.run(LOOP, GRIDS, timeout_s=timeout_s)
        latencies.append(time.perf_counter() - start)
        assert all(r.kind == "timeout" for r in results), results
    return latencies


def rates_json(args: argparse.Namespace) -> None:
    """One round for `--baseline`: both program kinds' rates as a JSON line."""
    with Executor(n_workers=args.workers, timeout_s=2.0) as ex:
        rates = {
            name: throughput(ex, code, args.calls, args.threads)
            for name, code in (("trivial", TRIVIAL), ("numpy", NUMPY))
        }
    print(json.dumps(rates))


def side_by_side(args: argparse.Namespace) -> None:
    """This checkout's sandbox against `args.baseline`'s, alternating fresh processes."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", args.baseline, "src"], capture_output=True, check=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        sources = {"this": str(repo / "src"), args.baseline: str(Path(tmp) / "src")}
        rates: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
        for _ in range(args.rounds):
            for name, src in sources.items():
                cmd = [
                    sys.executable,
                    __file__,
                    "--json",
                    f"--workers={args.workers}",
                    f"--threads={args.threads}",
                    f"--calls={args.calls}",
                ]
                out = subprocess.run(
                    cmd, env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, check=True
                )
                rates[name].append(json.loads(out.stdout))
    base = rates[args.baseline]
    for kind in ("trivial", "numpy"):
        ratios = [a[kind] / b[kind] for a, b in zip(rates["this"], base, strict=True)]
        print(
            f"{kind:8s} this {statistics.median(r[kind] for r in rates['this']):7.1f}/s  "
            f"{args.baseline} {statistics.median(r[kind] for r in base):7.1f}/s  ratio median "
            f"{statistics.median(ratios):.3f} (rounds {min(ratios):.3f}..{max(ratios):.3f}, n={len(ratios)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--baseline", help="a git revision to compare with, side by side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        return rates_json(args)
    if args.baseline:
        return side_by_side(args)
    print(
        f"cores={os.cpu_count()} load={os.getloadavg()[0]:.2f} workers={args.workers} threads={args.threads}"
    )
    start = time.perf_counter()
    with Executor(n_workers=args.workers, timeout_s=2.0) as ex:
        print(f"pool start: {time.perf_counter() - start:.3f} s  isolation={ex.isolation}")
        for name, code in (("trivial", TRIVIAL), ("numpy", NUMPY)):
            rate = throughput(ex, code, args.calls, args.threads)
            print(f"{name:8s} programs ({len(GRIDS)} grids each): {rate:7.1f} executions/s")
        lat = timeout_latency(ex, args.timeout, 3)
        print(
            f"timed-out call (timeout {args.timeout:g} s): median {statistics.median(lat):.3f} s, "
            f"max {max(lat):.3f} s, overhead max {max(lat) - args.timeout:.3f} s"
        )
        rate = throughput(ex, TRIVIAL, args.calls // 4, args.threads)
        print(f"trivial after timeouts: {rate:7.1f} executions/s")


if __name__ == "__main__":
    main()
