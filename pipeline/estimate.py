"""Preflight: the configured run's expected and worst-case cost and wall time, per model, with no
model call (same config as the run; see abmcts.experiment.estimate for the assumptions).

  python pipeline/estimate.py models=frontier experiment=full +estimate.latency_s=60
"""

import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from abmcts.errors import AbmctsError
from abmcts.experiment.estimate import estimate_run, format_estimate
from abmcts.experiment.parallel import local_workers
from abmcts.experiment.stages import load_run_tasks
from abmcts.experiment.validate import validate_config


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    options = OmegaConf.to_container(cfg.estimate) if "estimate" in cfg else {}
    try:
        root = validate_config(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "estimate"]))
        tasks = list(load_run_tasks(root).values())
        n = (
            1
            if root.executor.backend == "sequential"
            else min(local_workers(root.executor.n_jobs), len(tasks))
        )
        rows = estimate_run(root, tasks, n_processes=max(n, 1), **options)
    except (AbmctsError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    print(f"{len(tasks)} tasks x {root.search.budget} calls, {root.search.name}, models={root.models.name}")
    print(format_estimate(rows, root))


if __name__ == "__main__":
    main()
