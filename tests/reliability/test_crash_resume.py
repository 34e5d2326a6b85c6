"""SIGKILL the search stage at random points, restart it, and get the uninterrupted run's bytes.

Kill points are drawn from a seeded RNG over progress markers the test can watch from outside:
rows in the response cache (one per paid call) and tree checkpoint files. After the last restart
the trees, attempts and metrics must equal an uninterrupted run's byte for byte, the cache must
hold exactly the uninterrupted run's calls, and the final process must have stored every call it
made (no paid call repeated).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from abmcts.arc.treefile import read_tree_nodes

from project_helpers import descendants
from rel_helpers import cache_keys, cache_rows, copy_project, run_cli

TASKS, BUDGET = 2, 30
OVERRIDES = [
    "experiment=smoke",
    f"data.limit={TASKS}",
    f"search.budget={BUDGET}",
    "search.checkpoint_every=3",
    "++search.checkpoint_min_s=0",  # ++: add or override (no conf yaml sets it yet)
    "executor=sequential",
    "tracking=none",
]
RUN = f"runs/arc1_training-ab_mcts_a-offline-b{BUDGET}-s0"
KILL_SEED = 20250611


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_search_when(root: Path, ready: Callable[[], bool], log: Path) -> None:
    """Start pipeline/search.py, SIGKILL it as soon as `ready()`; its children must die too and
    every tree file left behind must be a whole, well-formed checkpoint."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "pipeline/search.py", *OVERRIDES], cwd=root, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, f"search finished before the kill point: {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.002)
    children = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in children), "sandbox processes outlived a killed search"
    for tree in (root / RUN / "trees").glob("*.json"):
        read_tree_nodes(json.loads(tree.read_bytes()), str(tree))


def test_killed_search_resumes_to_identical_results(tmp_path):
    reference = copy_project(tmp_path / "reference")
    code, _, err = run_cli(reference, ["fetch", "search", "select", "score"], OVERRIDES)
    assert code == 0, err

    root = copy_project(tmp_path / "killed")
    assert run_cli(root, ["fetch"], OVERRIDES)[0] == 0
    cache, trees, log = root / "cache/responses.sqlite", root / RUN / "trees", tmp_path / "search.log"
    total = TASKS * BUDGET
    rng = random.Random(KILL_SEED)
    first = rng.randint(2, 10)  # inside the first task, before or after its first checkpoints
    _kill_search_when(root, lambda: cache_rows(cache) >= first, log)
    # the second task has written its first checkpoint (the first task resumed and finished)
    _kill_search_when(root, lambda: len(list(trees.glob("*.json"))) == TASKS, log)
    last = total - 15  # leave the search well over 100 ms of work after the kill point
    third = rng.randint(min(cache_rows(cache) + 2, last), last)
    _kill_search_when(root, lambda: cache_rows(cache) >= third, log)
    killed_at = [first, "second task's first checkpoint", third]

    rows_before = cache_rows(cache)
    done = subprocess.run(
        [sys.executable, "pipeline/search.py", *OVERRIDES], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    code, _, err = run_cli(root, ["select", "score"], OVERRIDES)
    assert code == 0, err

    for tree in sorted((reference / RUN / "trees").glob("*.json")):
        assert (trees / tree.name).read_bytes() == tree.read_bytes(), (tree.name, killed_at)
    for name in ("attempts.json", "submission.json", "metrics.json", "pass_at_k.json"):
        assert (root / RUN / "sakana" / name).read_bytes() == (reference / RUN / "sakana" / name).read_bytes()
    # exactly the uninterrupted run's calls are stored, and the last process stored each call it made
    assert cache_keys(cache) == cache_keys(reference / "cache/responses.sqlite")
    assert len(cache_keys(cache)) == total
    summary = json.loads((root / RUN / "search_summary.json").read_text())
    assert summary["cache"]["misses"] == summary["cache"]["writes"] == total - rows_before, killed_at
    # the last process resumed from checkpoints: it asked for fewer calls than the budget
    assert summary["cache"]["hits"] + summary["cache"]["misses"] < total, summary
