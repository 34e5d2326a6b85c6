"""Preflight: the configured run's expected and worst-case cost and wall time, per model, with no
model call (same config as the run; see abmcts.experiment.estimate for the assumptions).

  python pipeline/estimate.py models=frontier experiment=full +estimate.latency_s=60
"""

import abmcts.experiment.interrupt  # noqa: F401  (first: Ctrl-C during the imports below is one line)

# isort: split
import hydra
from omegaconf import DictConfig, OmegaConf

from abmcts.cli import entry, run_stages


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    options = OmegaConf.to_container(cfg.estimate) if "estimate" in cfg else {}
    run_cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "estimate"])
    run_stages(["estimate"], run_cfg, {"estimate": options})


if __name__ == "__main__":
    entry(main)
