"""A strategy added exactly as docs/ARCHITECTURE.md says: one module of the user's own (a dotted name on
PYTHONPATH) plus one config file (in a config dir of the user's own), run through the whole pipeline."""

from __future__ import annotations

import json
import os

import pytest

from abmcts.arc.task import grid_problem
from abmcts.select import select_programs

from project_helpers import copy_project, read_tree, run_pipeline

TOY_MODULE = '''
"""Earliest answered program first (or latest, by default): not what any built-in strategy does."""
from dataclasses import dataclass

from abmcts.select import StrategyDef


@dataclass(frozen=True)
class Params:
    earliest: bool = False


def rank(nodes, ctx):
    ids = sorted(n["id"] for n in nodes if any(out is not None for out in n["test_outputs"] or []))
    return ids if ctx.params.earliest else ids[::-1]


STRATEGY = StrategyDef(rank=rank, params=Params)
'''
TOY_CONFIG = "name: toy\nstrategy: toyselect.earliest\nparams:\n  earliest: true\n"
RUN = ["experiment=smoke", "data.limit=2", "search.budget=6", "executor=sequential", "tracking=none"]


def earliest_distinct(tree: dict) -> list[int]:
    """The toy's choice, computed here: answered ids ascending, one per distinct test-output tuple."""
    seen, ranked = set(), []
    for node in sorted(tree["nodes"], key=lambda n: n["id"]):
        outputs = node["test_outputs"] or []
        key = json.dumps(outputs)
        if any(out is not None for out in outputs) and key not in seen:
            seen.add(key)
            ranked.append(node["id"])
    return ranked


@pytest.mark.slow
def test_a_strategy_from_a_users_module_and_config_runs_through_the_pipeline(tmp_path):
    root = copy_project(tmp_path / "project")
    (tmp_path / "plugins/toyselect").mkdir(parents=True)
    (tmp_path / "plugins/toyselect/__init__.py").write_text("")
    (tmp_path / "plugins/toyselect/earliest.py").write_text(TOY_MODULE)
    (tmp_path / "myconf/selection").mkdir(parents=True)
    (tmp_path / "myconf/selection/toy.yaml").write_text(TOY_CONFIG)
    pythonpath = os.pathsep.join(p for p in (str(tmp_path / "plugins"), os.environ.get("PYTHONPATH")) if p)

    done = run_pipeline(
        root,
        "run",
        *RUN,
        "selection=toy",
        f"hydra.searchpath=[file://{tmp_path / 'myconf'}]",
        env={"PYTHONPATH": pythonpath},
    )
    assert done.returncode == 0, done.stderr[-3000:]

    run = root / "runs/arc1_training-ab_mcts_a-offline-b6-s0"
    trees = {p.stem: read_tree(p) for p in sorted((run / "trees").glob("*.json"))}
    solutions = json.loads((root / "data/arc1_training/solutions.json").read_text())
    selection = json.loads((run / "toy/selection.json").read_text())
    attempts = json.loads((run / "toy/attempts.json").read_text())
    metrics = json.loads((run / "toy/metrics.json").read_text())
    assert len(trees) == 2

    expected = {task_id: earliest_distinct(tree) for task_id, tree in trees.items()}
    assert selection["programs"] == {task_id: ranked[:2] for task_id, ranked in expected.items()}
    assert any(expected[t][:2] != select_programs(tree, "sakana") for t, tree in trees.items())
    for task_id, tree in trees.items():
        by_id = {n["id"]: n for n in tree["nodes"]}
        for index, entry in enumerate(attempts[task_id]):
            valid = [
                i
                for i in expected[task_id]
                if index < len(by_id[i]["test_outputs"])
                and by_id[i]["test_outputs"][index] is not None
                and grid_problem(by_id[i]["test_outputs"][index]) is None
            ]
            assert entry["node_1"] == (valid[0] if valid else None)
    solved = []
    for task_id, tree in trees.items():
        by_id = {n["id"]: n for n in tree["nodes"]}
        solved.append(any(by_id[i]["test_outputs"] == solutions[task_id] for i in expected[task_id][:2]))
    assert metrics["pass_at_2"] == sum(solved) / len(solved)


def test_a_misspelt_module_of_ones_own_is_one_config_error(tmp_path):
    root = copy_project(tmp_path / "project")
    done = run_pipeline(root, "run", *RUN, "selection.strategy=toyselect.nowhere")
    assert done.returncode != 0
    assert "selection.strategy=toyselect.nowhere: no such selection strategy" in done.stderr
