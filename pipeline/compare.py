"""Compare every scored run under run.root: table with 95% intervals, paired tests, means over seeds,
and the pass@k and pass@2 figures with their intervals (markdown/JSON in run.root/_comparison)."""

import abmcts.experiment.interrupt  # noqa: F401  (first: Ctrl-C during the imports below is one line)

# isort: split
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from abmcts.cli import entry
from abmcts.errors import AbmctsError
from abmcts.experiment.validate import validate_config
from abmcts.score.compare import write_comparison


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        root = validate_config(cfg)
        rows = write_comparison(root.run.root, f"{root.run.root}/_comparison")
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"{len(rows)} scored runs; table and figures in {root.run.root}/_comparison/")
    print(Path(root.run.root, "_comparison", "comparison.md").read_text())


if __name__ == "__main__":
    entry(main)
