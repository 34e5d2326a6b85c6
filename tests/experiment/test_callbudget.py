"""run.max_calls: settled tasks stop early and the calls they save go to the tasks still open."""

from __future__ import annotations

import json

import pytest

from abmcts.errors import ConfigError
from abmcts.experiment.runner import settled
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.search import search_stage

from project_helpers import read_tree, smoke_config, tree_bytes

# three tasks the offline models settle within a few calls, one they do not settle within 30
TASKS = 'data.task_ids=["08ed6ac7","1cf80156","1f85a75f","007bbfb7"]'
COMMON = ["executor=sequential", "search=ab_mcts_a", "search.budget=30", TASKS]


def node(code, reward, outputs):
    return {"code": code, "reward": reward, "test_outputs": outputs}


def test_settled_needs_two_different_solving_programs_that_agree():
    a, b = [[[1]]], [[[2]]]
    assert not settled([node("x", 1.0, a)])
    assert not settled([node("x", 1.0, a), node("x", 1.0, a)])  # the same program twice
    assert settled([node("x", 1.0, a), node("y", 1.0, a), node("z", 0.5, b)])
    assert not settled([node("x", 1.0, a), node("y", 1.0, a), node("z", 1.0, b)])  # they disagree


def test_saved_calls_go_to_the_open_task(tmp_path):
    fixed = smoke_config(tmp_path, "fixed", *COMMON)
    fetch_stage(fixed)
    search_stage(fixed, progress=False)
    capped = smoke_config(tmp_path, "budget", *COMMON, "run.max_calls=60")
    fetch_stage(capped)
    summary = search_stage(capped, progress=False)

    trees = {name: json.loads(data) for name, data in tree_bytes(capped).items()}
    assert summary["calls"] <= 60 and summary["stopped"] == {"settled": 3}
    for name in ("08ed6ac7.json", "1cf80156.json", "1f85a75f.json"):
        nodes = read_tree(capped.run.root + f"/{capped.run.name}/trees/{name}")["nodes"]
        assert trees[name]["stop_reason"] == "settled" and trees[name]["complete"]
        assert settled(nodes) and not settled(nodes[:-1])  # stopped at the first settled call
    # the open task got its equal share (15), then the calls the others saved, up to its budget
    open_tree = trees["007bbfb7.json"]
    assert len(open_tree["nodes"]) == 30 and "stop_reason" not in open_tree
    # and its search is the one a plain run of that task makes: resumed passes change nothing
    assert open_tree["nodes"] == json.loads(tree_bytes(fixed)["007bbfb7.json"])["nodes"]

    again = search_stage(capped, progress=False)  # the same budget again: nothing left to do
    assert again["cache"].get("misses", 0) == 0 and again["calls"] == summary["calls"]
    assert {n: json.loads(d) for n, d in tree_bytes(capped).items()} == trees


def test_a_budget_below_one_call_per_task_is_refused(tmp_path):
    cfg = smoke_config(tmp_path, "tiny", *COMMON, "run.max_calls=3")
    fetch_stage(cfg)
    with pytest.raises(ConfigError, match=r"run\.max_calls=3"):
        search_stage(cfg, progress=False)
