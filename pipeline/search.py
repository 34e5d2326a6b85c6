"""Stage 2: run the configured tree search on every task (parallel, cached, resumable)."""

import abmcts.experiment.interrupt  # noqa: F401  (first: Ctrl-C during the imports below is one line)

# isort: split
import hydra
from omegaconf import DictConfig

from abmcts.cli import entry, run_stages


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_stages(["search"], cfg)


if __name__ == "__main__":
    entry(main)
