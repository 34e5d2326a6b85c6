"""Compare every scored run under run.root: table (markdown/JSON), pass@k curves, pass@2 per strategy."""

import sys

import hydra
from omegaconf import DictConfig

from abmcts.errors import AbmctsError
from abmcts.experiment.compare import markdown_table, write_comparison
from abmcts.experiment.validate import validate_config


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        root = validate_config(cfg)
        rows = write_comparison(root.run.root, f"{root.run.root}/_comparison")
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"{len(rows)} scored runs; table and figures in {root.run.root}/_comparison/")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
