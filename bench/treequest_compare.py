"""abmcts.search against TreeQuest 0.3.3, side by side in one run: speed, AB-MCTS-M choice probabilities, quality.

TreeQuest runs in its own venv (it needs PyMC/JAX): make one with
    python3 -m venv .tq && .tq/bin/pip install 'treequest[abmcts-m]==0.3.3'
and pass ``--treequest-python .tq/bin/python``. This file is run by both interpreters: the same
workload code takes the module (``treequest`` or ``abmcts.search``) as ``tq``, since the API is the same.

1. Steps per second of each algorithm when its tree holds 50 / 250 / 1000 nodes (grown by the algorithm
   itself, then ``--steps`` more steps timed, ``inplace=True`` on both sides). TreeQuest's AB-MCTS-M runs
   NUTS at every level of every descent (seconds per step), so it is timed at 50 nodes only, on a tree
   replayed from a fixed list of (parent, action, score) rather than grown step by step.
2. AB-MCTS-M's probability of choosing each child / GEN at the root of fixed trees: ours from 20000
   predictive draws of the grid sampler, TreeQuest's from one NUTS fit (4 chains x 1000 draws), both
   with one independent predictive draw per candidate (TreeQuest's ``get_score``).
L. TreeQuest's own loop, ``state = algo.step(state, fns)`` (TreeQuest copies the state each step, as we
   must look like we do), with TreeQuest's defaults (AB-MCTS-A, 3 models): seconds to grow 250 / 1000
   nodes from an empty tree, side by side, and the ratio; plus our AB-MCTS-M's ms per step at 250 nodes in
   the same loop. ``--only-loop`` runs just this part.
0. The deterministic algorithms (StandardMCTS, best-first, ToT-BFS, UCB bandit) must build the very same tree
   as TreeQuest's from the same generate functions (parent and score of every node, 80 steps, two problems).
3. Quality under equal settings (TreeQuest's defaults, 2 models): best score after ``--budget`` steps on
   two synthetic problems, mean and 95% t-interval over seeds (fewer seeds and a smaller budget for
   TreeQuest's AB-MCTS-M, which is slow).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = (50, 250, 1000)
ALGOS = {
    "ABMCTSA": ("ABMCTSA", {}),
    "ABMCTSM": ("ABMCTSM", {"max_process_workers": 1}),
    "StandardMCTS": ("StandardMCTS", {}),
    "BestFirstSearchAlgo": ("BestFirstSearchAlgo", {}),
    "TreeOfThoughtsBFSAlgo": ("TreeOfThoughtsBFSAlgo", {}),
    "MultiArmedBanditUCBAlgo": ("MultiArmedBanditUCBAlgo", {}),
}
# root groups (scores in each child's subtree) of the fixed trees for the choice probabilities
FIXED_ROOTS = {
    "3 children, 7 obs": [[0.2, 0.25], [0.6, 0.55, 0.65, 0.7], [0.4]],
    "2 children, 4 obs": [[0.9], [0.1, 0.15, 0.05]],
    "5 children, 1 obs each": [[0.1], [0.3], [0.5], [0.7], [0.2]],
    "2 children, 20 obs": [
        [0.5 + 0.02 * (i % 5) for i in range(12)],
        [0.45 + 0.03 * (i % 3) for i in range(8)],
    ],
}


# ---- shared workloads (run by either interpreter) ---------------------------------------------------
def problem(kind: str, seed: int) -> dict:
    """Two models (strong, weak) on a synthetic task; state = score = value in [0, 1], rounded to 0.05."""
    rnd = random.Random(seed)

    def model(skill: float):
        def gen(parent):
            base = 0.0 if parent is None else parent
            if kind == "refinable":  # refining pays: children tend to improve on their parent
                v = base + skill * rnd.random() * (1.0 - base) if rnd.random() < 0.7 else 0.8 * base
            else:  # refining hurts: fresh answers are i.i.d., refined ones worse
                v = rnd.random() ** (3 / skill) * (1.0 if parent is None else 0.5)
            v = round(min(1.0, max(0.0, v)) * 20) / 20
            return v, v

        return gen

    return {"strong": model(0.5), "weak": model(0.2)}


def three_models(seed: int) -> dict:
    """Three models of falling skill on the refinable problem (the default loop's workload)."""
    two = problem("refinable", seed)
    rnd = random.Random(seed + 1000)

    def third(parent):
        base = 0.0 if parent is None else parent
        v = round(min(1.0, base + 0.1 * rnd.random() * (1.0 - base)) * 20) / 20
        return v, v

    return {**two, "weakest": third}


def default_loop(tq, sizes: list[int]) -> dict:
    """Seconds for TreeQuest's loop (``state = algo.step(state, fns)``, defaults) to grow each size."""
    out = {}
    for size in sizes:
        random.seed(0)
        np.random.seed(0)
        algo, fns = tq.ABMCTSA(), three_models(0)
        state = algo.init_tree()
        t = time.perf_counter()
        for _ in range(size):
            state = algo.step(state, fns)
        out[size] = time.perf_counter() - t
        assert len(state.tree.get_nodes()) == size + 1
    return out


def abmctsm_loop_ms(tq, size: int, last: int = 20) -> tuple[float, float]:
    """Our AB-MCTS-M in the same loop: mean ms per step over all ``size`` steps and over the last ``last``."""
    algo, fns = tq.ABMCTSM(), three_models(0)
    state = algo.init_tree()
    times = []
    for _ in range(size):
        t = time.perf_counter()
        state = algo.step(state, fns)
        times.append(time.perf_counter() - t)
    return 1000 * sum(times) / size, 1000 * sum(times[-last:]) / last


# TreeQuest exports these two from their modules only (abmcts.search exports every algorithm)
TREEQUEST_MODULES = {
    "BestFirstSearchAlgo": "treequest.algos.best_first_search",
    "MultiArmedBanditUCBAlgo": "treequest.algos.multi_armed_bandit_ucb",
}


def make(tq, name: str, seed: int, ours: bool):
    cls_name, kwargs = ALGOS[name]
    if not ours:
        import importlib

        random.seed(seed)
        np.random.seed(seed)
        module = importlib.import_module(TREEQUEST_MODULES[cls_name]) if cls_name in TREEQUEST_MODULES else tq
        return getattr(module, cls_name)(**kwargs)
    return getattr(tq, cls_name)(**kwargs, seed=seed)


def replayed_abmctsm_state(tq, algo, spec):
    """TreeQuest's AB-MCTS-M state holding a fixed tree (its state is the tree plus one observation per node)."""
    from treequest.algos.ab_mcts_m.pymc_interface import Observation

    state = algo.init_tree()
    for parent, action, score in spec:
        node = state.tree.add_node((score, score), state.tree.get_node(parent))
        state.all_observations[node.expand_idx] = Observation(score, action, node.expand_idx)
    return state


def speed(tq, ours: bool, steps: int, sizes: list[int], tq_m_spec: list | None) -> dict:
    out: dict = {}
    for name in ALGOS:
        out[name] = {}
        for size in sizes:
            if not ours and name == "ABMCTSM":
                if size != sizes[0] or tq_m_spec is None:
                    continue
                algo = make(tq, name, 0, ours)
                state, n_steps = replayed_abmctsm_state(tq, algo, tq_m_spec), 2
            else:
                algo, n_steps = make(tq, name, 0, ours), steps
                state = algo.init_tree()
                fns = problem("refinable", 0)
                while len(state.tree.get_nodes()) - 1 < size:
                    state = algo.step(state, fns, inplace=True)
            fns = problem("refinable", 1)
            t = time.perf_counter()
            for _ in range(n_steps):
                state = algo.step(state, fns, inplace=True)
            out[name][size] = n_steps / (time.perf_counter() - t)
    return out


def quality(tq, ours: bool, name: str, seeds: int, budget: int) -> dict:
    out = {}
    for kind in ("refinable", "not_refinable"):
        best = []
        for seed in range(seeds):
            algo, fns = make(tq, name, seed, ours), problem(kind, seed)
            state = algo.init_tree()
            for _ in range(budget):
                state = algo.step(state, fns, inplace=True)
            best.append(max(s for _, s in algo.get_state_score_pairs(state)))
        out[kind] = best
    return out


DETERMINISTIC = ("StandardMCTS", "BestFirstSearchAlgo", "TreeOfThoughtsBFSAlgo", "MultiArmedBanditUCBAlgo")


def trees(tq, ours: bool, steps: int = 80) -> dict:
    """(parent expand_idx, score) of every node each deterministic algorithm makes."""
    out = {}
    for name in DETERMINISTIC:
        for kind in ("refinable", "not_refinable"):
            algo, fns = make(tq, name, 0, ours), problem(kind, 3)
            state = algo.init_tree()
            for _ in range(steps):
                state = algo.step(state, fns, inplace=True)
            out[f"{name} / {kind}"] = [[n.parent.expand_idx, n.score] for n in state.tree.get_nodes()[1:]]
    return out


def treequest_choice_probabilities(draws: int) -> dict:
    """P(argmax) per candidate at the root, from TreeQuest's NUTS fit (independent draw per candidate)."""
    from treequest.algos.ab_mcts_m.pymc_interface import Observation, PyMCInterface, pm, sample_numpyro_nuts

    iface = PyMCInterface(enable_pruning=False)
    rng = np.random.default_rng(0)
    out = {}
    for label, groups in FIXED_ROOTS.items():
        obs = [Observation(s, "m", i, child_idx=j) for j, g in enumerate(groups) for i, s in enumerate(g)]
        with iface.build_fitting_model(obs, None):
            trace = sample_numpyro_nuts(chains=4, compute_convergence_checks=False, progressbar=False)
        with iface.build_prediction_model(obs, None):
            pred = pm.sample_posterior_predictive(trace, var_names=["y", "y_new"], progressbar=False)
        pp = pred.posterior_predictive
        columns = [pp.y.sel(child_idx=j).values.ravel() for j in range(len(groups))] + [
            pp.y_new.values.ravel()
        ]
        picks = np.stack([c[rng.integers(len(c), size=draws)] for c in columns], axis=1).argmax(axis=1)
        out[label] = (np.bincount(picks, minlength=len(columns)) / draws).tolist()
    return out


def worker(job: dict) -> dict:
    import treequest as tq

    if job["only_trees"]:
        return {"trees": trees(tq, False)}
    if job["only_loop"]:
        return {"loop": default_loop(tq, job["loop_sizes"])}
    result = {
        "loop": default_loop(tq, job["loop_sizes"]),
        "trees": trees(tq, False),
        "speed": speed(tq, False, job["steps"], job["sizes"], job["abmctsm_spec"]),
    }
    result["choice"] = treequest_choice_probabilities(job["draws"])
    result["quality"] = {
        name: quality(tq, False, name, job["seeds"][name], job["budget"][name])
        for name in ("ABMCTSA", "ABMCTSM")
    }
    return result


# ---- our side and the report -----------------------------------------------------------------------
def our_choice_probabilities(draws: int) -> dict:
    from abmcts.search import mixed_model

    rng = np.random.default_rng(0)
    out = {}
    for label, groups in FIXED_ROOTS.items():
        n = np.array([len(g) for g in groups], dtype=float)
        s = np.array([sum(g) for g in groups])
        ss = np.array([sum(x * x for x in g) for g in groups])
        fit = mixed_model.fit(n, s, ss, mixed_model.DEFAULT_PRIOR_MEAN)
        y, y_new = mixed_model.predictive(fit, n, s, rng, n_new=1, size=draws)
        picks = np.concatenate([y, y_new], axis=1).argmax(axis=1)
        out[label] = (np.bincount(picks, minlength=len(groups) + 1) / draws).tolist()
    return out


def fixed_abmctsm_spec(size: int) -> list:
    """A tree of ``size`` nodes grown by our AB-MCTS-M, as (parent expand_idx, action, score)."""
    import abmcts.search as ours

    algo = ours.ABMCTSM(seed=0)
    state = algo.init_tree()
    fns = problem("refinable", 0)
    for _ in range(size):
        state = algo.step(state, fns, inplace=True)
    return [(state.parent[i] - 1, state.action[i], state.score[i]) for i in range(1, len(state) + 1)]


def t_interval(values: list[float]) -> str:
    from scipy import stats

    a = np.asarray(values, dtype=float)
    if len(a) < 2:
        return f"{a.mean():.3f}"
    half = stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a))
    return f"{a.mean():.3f} ± {half:.3f} (n={len(a)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--treequest-python", required=True, help="python of a venv with treequest[abmcts-m]==0.3.3"
    )
    ap.add_argument("--steps", type=int, default=20, help="timed steps per (algorithm, size)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="tree sizes (nodes) to time steps at")
    ap.add_argument("--draws", type=int, default=20000)
    ap.add_argument("--seeds-a", type=int, default=20)
    ap.add_argument("--budget-a", type=int, default=40)
    ap.add_argument("--seeds-m", type=int, default=4, help="TreeQuest AB-MCTS-M takes seconds per step")
    ap.add_argument("--budget-m", type=int, default=12)
    ap.add_argument(
        "--loop-sizes", default="250,1000", help="tree sizes for TreeQuest's default loop (part L)"
    )
    ap.add_argument("--only-loop", action="store_true", help="only part L (TreeQuest's default loop)")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    ap.add_argument(
        "--only-trees", action="store_true", help="only check the deterministic algorithms' trees"
    )
    args = ap.parse_args()

    import abmcts.search as ours

    sizes = [int(x) for x in args.sizes.split(",")]
    loop_sizes = [int(x) for x in args.loop_sizes.split(",")]
    job = {
        "only_trees": args.only_trees,
        "only_loop": args.only_loop,
        "loop_sizes": loop_sizes,
        "sizes": sizes,
        "steps": args.steps,
        "draws": args.draws,
        "abmctsm_spec": fixed_abmctsm_spec(sizes[0]),
        "seeds": {"ABMCTSA": args.seeds_a, "ABMCTSM": args.seeds_m},
        "budget": {"ABMCTSA": args.budget_a, "ABMCTSM": args.budget_m},
    }
    runs = [default_loop(ours, loop_sizes)] if not args.only_trees else []
    t0 = time.perf_counter()
    proc = subprocess.run(
        [args.treequest_python, __file__, "--worker"], input=json.dumps(job), capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"error: TreeQuest worker failed:\n{proc.stderr[-3000:]}")
    theirs = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"TreeQuest side: {time.perf_counter() - t0:.0f} s")
    mine_loop: dict = {}
    if "loop" in theirs:
        # ours timed once before and twice after TreeQuest's run; the median counts (load drifts)
        runs += [default_loop(ours, loop_sizes) for _ in range(2)]
        mine_loop = {size: sorted(r[size] for r in runs)[1] for size in loop_sizes}
        m_all, m_last = abmctsm_loop_ms(ours, 250)
        print(
            "\nTreeQuest's loop, `state = algo.step(state, fns)`, TreeQuest's defaults (AB-MCTS-A, 3 models):"
        )
        print(
            "| nodes | abmcts.search (s: before; after; after) | TreeQuest 0.3.3 (s) | speed-up (median of ours) |"
        )
        print("|---:|---:|---:|---:|")
        for size in loop_sizes:
            a, b = mine_loop[size], theirs["loop"][str(size)]
            ours_s = "; ".join(f"{r[size]:.3f}" for r in runs)
            print(f"| {size} | {ours_s} | {b:.2f} | {b / a:,.0f}x |")
        print(
            f"\nabmcts.search AB-MCTS-M in the same loop to 250 nodes: {m_all:.2f} ms/step on average, "
            f"{m_last:.2f} ms/step over the last 20 steps"
        )
    if args.only_loop:
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"ours": {"loop": mine_loop, "abmctsm_ms": [m_all, m_last]}, "treequest": theirs},
                    indent=2,
                )
            )
        return
    print("\nDeterministic algorithms, same tree as TreeQuest's (80 steps):")
    for label, nodes in trees(ours, True).items():
        print(f"- {label}: {'identical' if nodes == theirs['trees'][label] else 'DIFFERENT'}")
    if args.only_trees:
        return
    mine = {
        "loop": mine_loop,
        "speed": speed(ours, True, args.steps, sizes, None),
        "choice": our_choice_probabilities(args.draws),
        "quality": {
            name: quality(ours, True, name, job["seeds"]["ABMCTSA"], job["budget"][name])
            for name in ("ABMCTSA", "ABMCTSM")
        },
    }
    # TreeQuest's AB-MCTS-M quality runs use fewer seeds; ours use the A count for a tighter interval
    if args.json:
        args.json.write_text(json.dumps({"ours": mine, "treequest": theirs}, indent=2))

    print("\n| algorithm | nodes | abmcts.search steps/s | TreeQuest 0.3.3 steps/s | speed-up |")
    print("|---|---:|---:|---:|---:|")
    for name in ALGOS:
        for size in sizes:
            a, b = mine["speed"][name].get(size), theirs["speed"][name].get(str(size))
            ratio = f"{a / b:,.0f}x" if a and b else "-"
            b_txt = f"{b:,.2f}" if b else "not run (NUTS: seconds per step)"
            print(f"| {name} | {size} | {a:,.0f} | {b_txt} | {ratio} |")
    print("\nAB-MCTS-M choice probabilities at the root (children..., GEN):")
    print("| fixed tree | abmcts.search (grid) | TreeQuest (NUTS) | max abs diff |")
    print("|---|---|---|---:|")
    for label in FIXED_ROOTS:
        a, b = mine["choice"][label], theirs["choice"][label]
        diff = max(abs(x - y) for x, y in zip(a, b, strict=True))
        print(
            f"| {label} | {', '.join(f'{x:.3f}' for x in a)} | {', '.join(f'{x:.3f}' for x in b)} | {diff:.3f} |"
        )
    print("\nQuality: best score after the budget, mean ± 95% CI over seeds (TreeQuest defaults, 2 models):")
    print("| algorithm | problem | budget | abmcts.search | TreeQuest 0.3.3 |")
    print("|---|---|---:|---|---|")
    for name in ("ABMCTSA", "ABMCTSM"):
        for kind in ("refinable", "not_refinable"):
            a, b = mine["quality"][name][kind], theirs["quality"][name][kind]
            print(f"| {name} | {kind} | {job['budget'][name]} | {t_interval(a)} | {t_interval(b)} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
    else:
        main()
