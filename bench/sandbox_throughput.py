"""Sandbox executor throughput (trivial programs, several threads) and timed-out call latency.

Targets: > 500 executions/s warm on 2 cores; a timed-out call returns within timeout + 0.5 s.
Usage: python bench/sandbox_throughput.py [--workers 2] [--threads 4] [--calls 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
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
