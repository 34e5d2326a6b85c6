"""Multi-model allocation: 3 synthetic models whose skill differs per problem.

Per problem the skills (0.15, 0.35, 0.6) are assigned to the models in a different order; the
report is the share of calls that went to that problem's best model and the best score reached,
compared with uniform model choice (repeated sampling / sequential refinement, models in turn).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics

from abmcts.search import make_algorithm

MODELS = ("model_x", "model_y", "model_z")
SKILLS = (0.15, 0.35, 0.6)
ALGOS = {
    "ab_mcts_a(beta,stack)": ("ab_mcts_a", {"dist": "beta", "model_selection": "stack"}),
    "ab_mcts_a(beta,thompson)": ("ab_mcts_a", {"dist": "beta", "model_selection": "thompson"}),
    "ab_mcts_a(beta,ucb)": ("ab_mcts_a", {"dist": "beta", "model_selection": "ucb"}),
    "ab_mcts_m(stack)": ("ab_mcts_m", {"model_selection": "stack"}),
    "ab_mcts_m(thompson)": ("ab_mcts_m", {"model_selection": "thompson"}),
    "bandit_ucb": ("bandit_ucb", {}),
    "uniform: repeated_sampling": ("repeated_sampling", {}),
    "uniform: sequential_refinement": ("sequential_refinement", {}),
}


def models_for(problem: int, seed: int) -> tuple[dict, str]:
    rnd = random.Random(seed)
    order = random.Random(problem).sample(SKILLS, len(SKILLS))

    def make(skill: float):
        def gen(parent):
            base = 0.0 if parent is None else parent
            v = base + skill * rnd.random() * (1.0 - base) if rnd.random() < skill + 0.2 else 0.5 * base
            v = round(min(1.0, v) * 20) / 20
            return v, v

        return gen

    fns = {m: make(s) for m, s in zip(MODELS, order, strict=True)}
    return fns, MODELS[order.index(max(SKILLS))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--problems", type=int, default=6)
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    print(f"{args.problems} problems x {args.seeds} seeds, {args.steps} steps; mean ± 95% CI")
    print(f"{'algorithm':32s} {'best-model share':>18s} {'best score':>16s}")
    for label, (name, kwargs) in ALGOS.items():
        shares, bests = [], []
        for p in range(args.problems):
            for s in range(args.seeds):
                algo = make_algorithm(name, seed=s, **kwargs)
                tree = algo.init_tree()
                fns, best_model = models_for(p, 100 * p + s)
                for _ in range(args.steps):
                    tree = algo.step(tree, fns, inplace=True)
                stats = tree.action_stats()
                shares.append(stats.get(best_model, {"calls": 0})["calls"] / args.steps)
                bests.append(max(v["max"] for v in stats.values()))
        ci = 1.96 / math.sqrt(len(shares))
        print(
            f"{label:32s} {statistics.fmean(shares):8.3f} ± {ci * statistics.stdev(shares):.3f}"
            f" {statistics.fmean(bests):8.3f} ± {ci * statistics.stdev(bests):.3f}"
        )


if __name__ == "__main__":
    main()
