"""All four stages in one process: the quick start, and one MLflow run per Hydra multirun job."""

import abmcts.experiment.interrupt  # noqa: F401  (first: Ctrl-C during the imports below is one line)

# isort: split
import hydra
from omegaconf import DictConfig

from abmcts.experiment.cli import entry, run_stages
from abmcts.experiment.stages.fetch import fetch_stage
from abmcts.experiment.stages.score import score_stage
from abmcts.experiment.stages.search import search_stage
from abmcts.experiment.stages.select import select_stage


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_stages(
        {"fetch": fetch_stage, "search": search_stage, "select": select_stage, "score": score_stage}, cfg
    )


if __name__ == "__main__":
    entry(main)
