"""Stage 1: write the ARC split's task inputs and, separately, its solutions."""

import abmcts.experiment.interrupt  # noqa: F401  (first: Ctrl-C during the imports below is one line)

# isort: split
import hydra
from omegaconf import DictConfig

from abmcts.experiment.cli import entry, run_stages
from abmcts.experiment.stages.fetch import fetch_stage


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_stages({"fetch": fetch_stage}, cfg)


if __name__ == "__main__":
    entry(main)
