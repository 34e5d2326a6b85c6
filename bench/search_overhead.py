"""Search step overhead vs tree size for every algorithm (1 and 3 actions).

Targets on 2 cores: AB-MCTS-A < 1 ms/step and AB-MCTS-M < 10 ms/step at 250 nodes. For scale: a
cached full replay (bench/full_run.py) spends ~0.5 ms of worker time per call outside the search, so
under 5 % of it would take ~25 us/step; a cold offline run spends ~8 ms per call outside the search.
``--rewards arc`` uses an ARC-AGI-2-like reward profile (mostly 0), ``--only`` times chosen variants.
Optionally times TreeQuest's ABMCTSA side by side: pass ``--treequest-python /tmp/tqvenv/bin/python``
(a separate venv with ``treequest`` installed; it is not a project dependency).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time

from abmcts.search import make_algorithm

VARIANTS = {
    "ab_mcts_a(gaussian)": ("ab_mcts_a", {"dist": "gaussian"}),
    "ab_mcts_a(beta)": ("ab_mcts_a", {"dist": "beta"}),
    "ab_mcts_m": ("ab_mcts_m", {"model_selection": "stack"}),
    "ab_mcts_m(thompson)": ("ab_mcts_m", {"model_selection": "thompson"}),
    "repeated_sampling": ("repeated_sampling", {}),
    "sequential_refinement": ("sequential_refinement", {}),
    "standard_mcts": ("standard_mcts", {}),
    "bandit_ucb": ("bandit_ucb", {}),
}

TREEQUEST_SCRIPT = """
import random, sys, time, treequest as tq
n_actions, steps = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(0)
def gen(parent):
    base = 0.0 if parent is None else parent
    v = min(1.0, base + 0.3 * rnd.random() * (1 - base) + 0.05 * rnd.random())
    return v, v
fns = {f"m{i}": gen for i in range(n_actions)}
algo = tq.ABMCTSA()
state = algo.init_tree()
t = time.perf_counter()
for _ in range(steps):
    state = algo.step(state, fns, inplace=True)
print(time.perf_counter() - t)
"""


def _fns(n_actions: int, seed: int, rewards: str = "refining") -> dict:
    rnd = random.Random(seed)

    def gen(parent):
        if rewards == "arc":  # like ARC-AGI-2 with weak models: mostly 0, a few partial scores
            v = rnd.choice([0.0] * 8 + [1 / 3, 0.5])
            return v, v
        base = 0.0 if parent is None else parent
        v = round(min(1.0, base + 0.3 * rnd.random() * (1 - base) + 0.05 * rnd.random()), 4)
        return v, v

    return {f"m{i}": gen for i in range(n_actions)}


def measure(
    name: str, kwargs: dict, n_actions: int, sizes: list[int], window: int, rewards: str = "refining"
) -> tuple[dict, float]:
    """Median ms/step over the ``window`` steps ending at each size (robust to a busy machine); total s for 250."""
    algo = make_algorithm(name, seed=0, **kwargs)
    tree = algo.init_tree()
    fns = _fns(n_actions, 0, rewards)
    times = []
    for _ in range(max(sizes)):
        t = time.perf_counter()
        tree = algo.step(tree, fns, inplace=True)
        times.append(time.perf_counter() - t)
    per = {n: 1e3 * statistics.median(times[max(0, n - window) : n]) for n in sizes}
    return per, sum(times[:250])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10,50,100,250,500")
    ap.add_argument("--window", type=int, default=25, help="steps whose median is reported at each size")
    ap.add_argument(
        "--rewards",
        default="refining",
        choices=("refining", "arc"),
        help="refining: children improve on parents; arc: mostly 0 with a few partial scores (ARC-AGI-2-like)",
    )
    ap.add_argument("--only", default=None, help="comma-separated variant labels to time (default: all)")
    ap.add_argument("--treequest-python", default=None, help="python of a venv with treequest installed")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"ms/step (median of the {args.window} steps ending at each tree size)")
    print(
        f"{'algorithm':24s} {'actions':>7s} " + " ".join(f"{n:>8d}" for n in sizes) + f" {'250 steps s':>12s}"
    )
    ours = {}
    only = None if args.only is None else set(args.only.split(","))
    for label, (name, kwargs) in VARIANTS.items():
        if only is not None and label not in only:
            continue
        for n_actions in (1, 3):
            per, total = measure(name, kwargs, n_actions, sizes, args.window, args.rewards)
            ours[(label, n_actions)] = total
            print(
                f"{label:24s} {n_actions:>7d} "
                + " ".join(f"{per[n]:8.3f}" for n in sizes)
                + f" {total:12.3f}"
            )
    if args.treequest_python is None or ("ab_mcts_a(gaussian)", 1) not in ours:
        print("treequest: skipped (pass --treequest-python PATH and time ab_mcts_a(gaussian) to compare)")
        return
    for n_actions in (1, 3):
        try:
            out = subprocess.run(
                [args.treequest_python, "-c", TREEQUEST_SCRIPT, str(n_actions), "250"],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
        except (OSError, subprocess.SubprocessError) as e:
            print(f"treequest: skipped ({type(e).__name__}: {str(e)[:200]})")
            return
        tq = float(out.stdout.strip().splitlines()[-1])
        mine = ours[("ab_mcts_a(gaussian)", n_actions)]
        print(
            json.dumps(
                {
                    "treequest_ab_mcts_a_250_steps_s": round(tq, 3),
                    "ours_s": round(mine, 4),
                    "actions": n_actions,
                    "speedup": round(tq / mine, 1),
                }
            )
        )


if __name__ == "__main__":
    sys.exit(main())
