"""Pass@k of the offline models through the real pipeline: repeated sampling vs AB-MCTS-A (one model)
vs Multi-model AB-MCTS-A, per dataset. Issue 3 asks for these numbers.

Each cell is one pipeline run (fetch, search with the sandbox, select, score), cached like any run,
so a second invocation replays. Prints a table of pass@1/10/50/250 (whole-task, test outputs) and
pass@2, and writes it to <workdir>/pass_at_k.json.

Run:  .venv/bin/python bench/offline_pass_at_k.py [--data arc1_training arc1_evaluation arc2_evaluation]
      [--budget 250] [--limit N] [--workdir /tmp/abmcts-passk] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hydra import compose, initialize_config_dir

from abmcts.experiment.validate import validate_config
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.score import score_stage
from abmcts.stages.search import search_stage
from abmcts.stages.select import select_stage

CONF = Path(__file__).resolve().parent.parent / "conf"
SETUPS = {
    "repeated_sampling (5 models, round robin)": ["search=repeated_sampling", "models=offline"],
    "ab_mcts_a (geometry only)": ["search=ab_mcts_a", "models=offline_geometry"],
    "multi-model ab_mcts_a (5 models)": ["search=ab_mcts_a", "models=offline"],
}
KS = (1, 10, 50, 250)


def run_cell(data: str, setup: list[str], args: argparse.Namespace) -> dict:
    overrides = [
        "experiment=full",
        f"data={data}",
        *setup,
        f"search.budget={args.budget}",
        f"executor.n_jobs={args.n_jobs}",
        "tracking=none",
        f"data_dir={args.workdir}/data",
        f"run.root={args.workdir}/runs",
        f"cache.path={args.workdir}/cache/responses.sqlite",
        f"cache.executions_path={args.workdir}/cache/executions.sqlite",
    ]
    if args.limit:
        overrides.append(f"data.limit={args.limit}")
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = validate_config(compose(config_name="config", overrides=overrides))
    start = time.perf_counter()
    if not (Path(cfg.data_dir) / cfg.data.name / "tasks.json").exists():
        fetch_stage(cfg)
    search_stage(cfg, progress=False)
    select_stage(cfg)
    metrics = score_stage(cfg)
    curve = metrics["pass_at_k_curve"]
    return {
        "n_tasks": metrics["n_tasks"],
        **{f"pass@{k}": round(curve[min(k, len(curve)) - 1] * metrics["n_tasks"]) for k in KS},
        "pass@2 (sakana)": round(metrics["pass_at_2"] * metrics["n_tasks"]),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["arc1_training", "arc1_evaluation", "arc2_evaluation"])
    parser.add_argument("--budget", type=int, default=250)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--workdir", default="/tmp/abmcts-passk")
    args = parser.parse_args()
    rows = []
    for data in args.data:
        for label, setup in SETUPS.items():
            row = {"data": data, "setup": label, **run_cell(data, setup, args)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    (Path(args.workdir) / "pass_at_k.json").write_text(json.dumps(rows, indent=1))
    cols = ["data", "setup", "n_tasks", *[f"pass@{k}" for k in KS], "pass@2 (sakana)", "wall_s"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
