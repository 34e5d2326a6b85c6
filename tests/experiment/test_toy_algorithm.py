"""A search algorithm added the documented way (docs/ARCHITECTURE.md, "Extending"): one module, here in
a user's own package outside this repository, plus `conf/search/<name>.yaml`; nothing else edited."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from project_helpers import copy_project, read_tree, run_pipeline

LADDER = '''
from abmcts.search import Algorithm


class Ladder(Algorithm):
    """Each call refines the newest node with one fixed model: a chain, recognisable in any tree."""

    name = "toy_search.ladder"

    def __init__(self, model: int = 0, seed: int | None = 0) -> None:
        super().__init__(seed)
        self.model = model

    def params(self) -> dict:
        return {"model": self.model, "seed": self.seed}

    def _select(self, tree, actions):
        return len(tree), actions[self.model]


ALGORITHM = Ladder
'''

CONFIG = """
name: toy_ladder
algorithm: toy_search.ladder
params:
  model: 1
"""


@pytest.mark.slow
def test_a_toy_algorithm_runs_through_the_pipeline(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / "conf/search/toy_ladder.yaml").write_text(CONFIG)
    package = tmp_path / "plugins/toy_search"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ladder.py").write_text(textwrap.dedent(LADDER))
    path = os.pathsep.join(p for p in (str(tmp_path / "plugins"), os.environ.get("PYTHONPATH")) if p)

    done = run_pipeline(
        root, "run", "experiment=smoke", "search=toy_ladder", "data.limit=2", "search.budget=4",
        env={"PYTHONPATH": path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    run = root / "runs/arc1_training-toy_ladder-offline-b4-s0"
    trees = sorted((run / "trees").glob("*.json"))
    assert len(trees) == 2
    for path in trees:
        tree = read_tree(path)
        assert tree["settings"]["search.algorithm"] == "toy_search.ladder"
        assert tree["settings"]["search.params"] == {"model": 1}
        assert tree["search_state"]["algorithm"] == "toy_search.ladder"  # the class that searched
        assert tree["search_state"]["params"]["model"] == 1
        nodes = tree["nodes"]
        assert [n["parent"] for n in nodes] == [None, *[n["id"] for n in nodes[:-1]]]  # a chain
        assert {n["model"] for n in nodes} == {"offline/color"}  # models.specs[1]
        assert 1 <= len(nodes) <= 4
    assert json.loads((run / "sakana/metrics.json").read_text())["n_tasks"] == 2
