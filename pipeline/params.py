"""Write params.yaml (what `dvc repro` runs) from conf/, exactly as `dvc exp run -S ...` does."""

import sys
from pathlib import Path

from dvc.utils.hydra import compose_and_dump

if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    compose_and_dump(root / "params.yaml", str(root / "conf"), None, "config", "", sys.argv[1:])
