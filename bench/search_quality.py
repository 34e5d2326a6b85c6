"""Search quality on synthetic problems: mean best score after N steps per algorithm, 95% CI over seeds.

"refinable": refining a node tends to improve it. "not_refinable": fresh samples are i.i.d. and
refinement makes answers worse, so width should win. Scores are rounded to 0.05 (ARC-like ties).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics

from abmcts.search import make_algorithm

ALGOS = {
    "ab_mcts_a(gaussian)": ("ab_mcts_a", {"dist": "gaussian"}),
    "ab_mcts_a(beta)": ("ab_mcts_a", {"dist": "beta"}),
    "ab_mcts_m": ("ab_mcts_m", {"model_selection": "stack"}),
    "repeated_sampling": ("repeated_sampling", {}),
    "sequential_refinement": ("sequential_refinement", {}),
    "standard_mcts": ("standard_mcts", {}),
}


def problem(kind: str, seed: int):
    rnd = random.Random(seed)

    def gen(parent):
        if kind == "refinable":
            base = 0.0 if parent is None else parent
            v = base + 0.35 * rnd.random() * (1.0 - base) if rnd.random() < 0.7 else 0.8 * base
            v = v if parent is not None else 0.4 * rnd.random()
        else:
            fresh = rnd.random() ** 3
            v = fresh if parent is None else 0.5 * fresh
        v = round(min(1.0, v) * 20) / 20
        return v, v

    return {"m": gen}


def best_after(name: str, kwargs: dict, kind: str, seed: int, steps: int) -> float:
    algo = make_algorithm(name, seed=seed, **kwargs)
    tree = algo.init_tree()
    fns = problem(kind, 1000 + seed)
    for _ in range(steps):
        tree = algo.step(tree, fns, inplace=True)
    return max(s for _, s in tree.state_score_pairs())


def mean_ci(xs: list[float]) -> tuple[float, float]:
    return statistics.fmean(xs), 1.96 * statistics.stdev(xs) / math.sqrt(len(xs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    print(f"mean best score after {args.steps} steps, 95% CI over {args.seeds} seeds")
    for kind in ("refinable", "not_refinable"):
        print(f"[{kind}]")
        for label, (name, kwargs) in ALGOS.items():
            m, ci = mean_ci([best_after(name, kwargs, kind, s, args.steps) for s in range(args.seeds)])
            print(f"  {label:24s} {m:.3f} ± {ci:.3f}")


if __name__ == "__main__":
    main()
