"""Write a task's search tree as one self-contained HTML page and print its path.

    python pipeline/view.py 007bbfb7 [more task ids] [hydra overrides, e.g. search=ab_mcts_m]

Task ids are the arguments without `=`; the page goes to runs/<run>/views/<task_id>.html. Test
outputs are shown only once the run's selection has been scored.
"""

import abmcts.experiment.interrupt  # noqa: F401  (first: Ctrl-C during the imports below is one line)

# isort: split
import sys

import hydra
from omegaconf import DictConfig

from abmcts.cli import entry
from abmcts.errors import AbmctsError
from abmcts.experiment.validate import validate_config
from abmcts.experiment.view import RunView

TASK_IDS: list[str] = []


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        if not TASK_IDS:
            raise AbmctsError("view: name at least one task id, e.g. python pipeline/view.py 007bbfb7")
        root = validate_config(cfg)
        view = RunView(root)
        for task_id in TASK_IDS:
            print(view.write(task_id, view.paths.run_dir / "views" / f"{task_id}.html"), flush=True)
    except AbmctsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


if __name__ == "__main__":
    TASK_IDS.extend(a for a in sys.argv[1:] if "=" not in a and not a.startswith("-"))
    sys.argv[1:] = [a for a in sys.argv[1:] if a not in TASK_IDS]
    entry(main)
