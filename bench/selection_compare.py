"""Every selection strategy (old and new) and the ablations, on the same trees, with intervals.

Reads the trees of finished runs (multi-model AB-MCTS-A, 5 offline models; make them with
`pipeline/run.py search=ab_mcts_a models=offline experiment=full data=<split> run.root=<workdir>/runs
cache.path=<workdir>/cache/responses.sqlite data_dir=<workdir>/data`), runs each strategy through
`abmcts.select.select_all` (the select stage's own path) and scores Sakana-style pass@2 per task.

The learned ranker is trained on ARC-AGI-1 training trees only. On that split every ranker-based
row is 5-fold cross-validated by task (each task ranked by a model fitted without it); on other
splits the model fitted on all training tasks is applied. Nothing is tuned on an evaluation split.
Judge calls go to `<workdir>/cache/judge.sqlite` (a second run replays them).

Run:  python bench/selection_compare.py [--workdir /work/sel-trees] [--data arc1_training arc1_evaluation]
      [--timing arc1_evaluation:120] [--no-judge]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir

from abmcts.experiment.paths import RunPaths
from abmcts.experiment.rundata import load_run_trees
from abmcts.experiment.validate import validate_config
from abmcts.io import read_json
from abmcts.llm.cache import ResponseCache
from abmcts.llm.spec import ModelSpec
from abmcts.score import pass_at_2_per_task, solves
from abmcts.score.stats import bootstrap_ci, paired_test
from abmcts.select import select_all
from abmcts.select.candidates import FEATURES
from abmcts.select.judge import Judge, judge_client
from abmcts.select.strategy import get_strategy
from abmcts.select.train_ranker import artifact, cross_validate, fit, task_groups

CONF = Path(__file__).resolve().parent.parent / "conf"
TRAIN = "arc1_training"
G = "generalisation"
# (label, strategy, params); "{artifact}" is filled per split (CV fold models on the training split).
ROWS: list[tuple[str, str, dict]] = [
    ("sakana", "sakana", {}),
    ("reward_earliest", "reward_earliest", {}),
    ("reward_simplicity", "reward_simplicity", {}),
    ("majority_vote", "majority_vote", {}),
    ("weighted_agreement", "weighted_agreement", {}),
    ("generalisation", G, {}),
    ("  - agreement (lineages)", G, {"agreement": 0.0}),
    ("  - models", G, {"models": 0.0}),
    ("  - plausibility", G, {"plausibility": 0.0}),
    ("  only agreement (lineages)", G, {"models": 0.0, "plausibility": 0.0}),
    ("  only models", G, {"agreement": 0.0, "plausibility": 0.0}),
    ("  only plausibility", G, {"agreement": 0.0, "models": 0.0}),
    ("  + simplicity", G, {"simplicity": 0.5}),
    ("learned_ranker", "learned_ranker", {"artifact": "{artifact}"}),
    ("hedge (learned_ranker)", "hedge", {"artifact": "{artifact}"}),
    ("hedge (generalisation)", "hedge", {"base": G}),
    ("judge (offline, learned_ranker base)", "judge", {"artifact": "{artifact}"}),
]
# Ranker ablations: the model refitted without a feature group.
GROUPS = {
    "agreement": ("log_programs", "models", "log_lineages"),
    "plausibility": tuple(f for f in FEATURES if f.startswith("plaus_")),
    "recency/order": ("first_found", "last_found"),
    "code size/depth": ("log_code_chars", "min_depth"),
    "reward": ("reward", "reward_gap"),
}


def load(data: str, workdir: str) -> tuple[dict, dict, dict, RunPaths]:
    overrides = [
        "experiment=full",
        f"data={data}",
        "search=ab_mcts_a",
        "models=offline",
        "tracking=none",
        f"data_dir={workdir}/data",
        f"run.root={workdir}/runs",
        f"cache.path={workdir}/cache/responses.sqlite",
        f"cache.executions_path={workdir}/cache/executions.sqlite",
    ]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = validate_config(compose(config_name="config", overrides=overrides))
    paths = RunPaths.of(cfg)
    trees = load_run_trees(cfg)
    tasks = read_json(paths.tasks, "tasks file")
    solutions = read_json(paths.solutions, "solutions file")
    return trees, tasks, {t: solutions[t] for t in trees}, paths


def write_model(path: Path, model, note: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(artifact(model, {"data": note}, {})))
    return str(path)


class Split:
    """One split's trees plus the ranker model(s) its ranker rows may use."""

    def __init__(self, data: str, workdir: str) -> None:
        self.data = data
        self.trees, self.tasks, self.solutions, self.paths = load(data, workdir)
        self.workdir = Path(workdir) / "selection_models"
        self.train_groups: list = []
        self.judge_cache = ResponseCache(f"{workdir}/cache/judge.sqlite", "readwrite")
        self.memo: dict | None = {}  # candidates built once per tree for all table rows (None: timing)
        self._folds: dict[str, list[tuple[str, list[str]]]] = {}

    def folds(self, features=FEATURES) -> list[tuple[str, list[str]]]:
        """(artifact path, task ids it may rank): one fit on training, or CV folds on training."""
        tag = "-".join(sorted(set(FEATURES) - set(features))) or "all"
        if tag not in self._folds:
            self._folds[tag] = self._fit_folds(features, tag)
        return self._folds[tag]

    def _fit_folds(self, features, tag: str) -> list[tuple[str, list[str]]]:
        if self.data != TRAIN:
            model = fit(self.train_groups, features=features)
            return [
                (
                    write_model(self.workdir / f"full-{tag}.json", model, "all training tasks"),
                    sorted(self.trees),
                )
            ]
        ids = sorted(self.trees)
        rng = np.random.default_rng(0)
        fold_of = {tid: k % 5 for k, tid in enumerate(rng.permutation(ids))}
        out = []
        for k in range(5):
            model = fit([g for g in self.train_groups if fold_of[g.task_id] != k], features=features)
            path = write_model(self.workdir / f"cv{k}-{tag}.json", model, f"training folds != {k}")
            out.append((path, [t for t in ids if fold_of[t] == k]))
        return out

    def run(
        self, strategy: str, params: dict, features=FEATURES
    ) -> tuple[dict[str, bool], float, dict | None]:
        hits: dict[str, bool] = {}
        seconds = 0.0
        usage: dict | None = None
        parts = self.folds(features) if "{artifact}" in params.values() else [(None, sorted(self.trees))]
        for path, fold_ids in parts:
            ids = [t for t in fold_ids if t in self.trees]
            filled = {k: (path if v == "{artifact}" else v) for k, v in params.items()}
            judge = None
            if get_strategy(strategy).needs_judge:
                client = judge_client(ModelSpec("judge", "offline/judge"), self.judge_cache)
                judge = Judge(client, "judge")
            start = time.perf_counter()
            result = select_all(
                {t: self.trees[t] for t in ids}, self.tasks, strategy, filled, judge, self.memo
            )
            seconds += time.perf_counter() - start
            sols = {t: self.solutions[t] for t in ids}
            hits.update(pass_at_2_per_task(self.trees, sols, result.programs))
            if result.judge is not None:
                usage = {k: (usage or {}).get(k, 0) + v for k, v in result.judge.items()}
        return hits, seconds, usage


def oracle(split: Split) -> dict[str, bool]:
    return {
        t: any(solves(n, split.solutions[t]) for n in split.trees[t]["nodes"]) for t in sorted(split.trees)
    }


def cell(hits: dict[str, bool], ref: dict[str, bool]) -> dict:
    ids = sorted(hits)
    a = [float(hits[t]) for t in ids]
    b = [float(ref[t]) for t in ids]
    ci = bootstrap_ci(a)
    test = paired_test(a, b)
    return {
        "solved": int(sum(a)),
        "n": len(a),
        "pass_at_2": ci.value,
        "ci": [ci.ci_low, ci.ci_high],
        "diff_vs_sakana": test.diff,
        "diff_ci": [test.ci_low, test.ci_high],
        "p_value": test.p_value,
    }


def fmt(c: dict) -> str:
    return (
        f"{c['solved']}/{c['n']} ({100 * c['pass_at_2']:.1f}% [{100 * c['ci'][0]:.1f}, {100 * c['ci'][1]:.1f}])"
        f" {round(c['diff_vs_sakana'] * c['n']):+d}, p={c['p_value']:.3g}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/work/sel-trees")
    parser.add_argument("--data", nargs="+", default=[TRAIN, "arc1_evaluation"])
    parser.add_argument("--timing", default="arc1_evaluation:120", help="SPLIT:N, time on its first N trees")
    parser.add_argument("--no-judge", action="store_true")
    args = parser.parse_args()

    splits = {data: Split(data, args.workdir) for data in dict.fromkeys([TRAIN, *args.data])}
    train = splits[TRAIN]
    train_groups = task_groups(train.trees, train.tasks, train.solutions, memo=train.memo)
    for split in splits.values():
        split.train_groups = train_groups
    cv = cross_validate(train_groups)
    print(
        f"ranker CV (training, 5 task folds): right answer in the top two for {sum(cv.values())}/{len(cv)} tasks"
    )

    rows = [r for r in ROWS if not (args.no_judge and r[1] == "judge")]
    table: dict[str, dict] = {}
    for data in args.data:
        split = splits[data]
        ref, _, _ = split.run("sakana", {})
        table.setdefault("pass@250 (oracle)", {})[data] = cell(oracle(split), ref)
        for label, strategy, params in rows:
            hits, seconds, usage = split.run(strategy, params)
            table.setdefault(label, {})[data] = {**cell(hits, ref), "judge": usage}
            print(data, label, fmt(table[label][data]), usage or "", flush=True)
        for group, feats in GROUPS.items():
            keep = tuple(f for f in FEATURES if f not in feats)
            hits, _, _ = split.run("learned_ranker", {"artifact": "{artifact}"}, features=keep)
            label = f"  learned_ranker - {group}"
            table.setdefault(label, {})[data] = cell(hits, ref)
            print(data, label, fmt(table[label][data]), flush=True)

    # Timing: each strategy from scratch (no shared candidates) on the first N trees of a split.
    data, n = args.timing.split(":")
    split = splits[data]
    split.memo = None
    split.trees = {t: split.trees[t] for t in sorted(split.trees)[: int(n)]}
    n_nodes = sum(len(t["nodes"]) for t in split.trees.values())
    timings = {}
    for label, strategy, params in rows:
        timings[label] = round(split.run(strategy, params)[1], 3)
    print(f"timing {data}: {len(split.trees)} trees, {n_nodes} nodes (seconds):", json.dumps(timings))

    out = Path(args.workdir) / "selection_compare.json"
    out.write_text(
        json.dumps({"table": table, "timings": timings, "ranker_cv_hits": sum(cv.values())}, indent=1)
    )
    print("\n| strategy | " + " | ".join(args.data) + " |\n|---|" + "---|" * len(args.data))
    for label, cells in table.items():
        print(f"| {label} | " + " | ".join(fmt(cells[d]) if d in cells else "" for d in args.data) + " |")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
