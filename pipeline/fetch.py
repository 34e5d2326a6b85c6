"""Stage 1: write the ARC split's task inputs and, separately, its solutions."""

import hydra
from omegaconf import DictConfig

from abmcts.experiment.cli import entry, run_stages
from abmcts.experiment.stages.fetch import fetch_stage


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_stages({"fetch": fetch_stage}, cfg)


if __name__ == "__main__":
    entry(main)
