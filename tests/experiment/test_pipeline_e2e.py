"""The whole pipeline as a user runs it: stages, outputs, MLflow, and byte-identical replay."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from project_helpers import copy_project, read_tree, run_pipeline

SMOKE = ["experiment=smoke", "data.limit=3", "search.budget=6", "executor.n_jobs=2"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """One smoke run shared by the tests of this module (fetch -> search -> select -> score)."""
    root = copy_project(tmp_path_factory.mktemp("e2e"))
    done = run_pipeline(root, "run", *SMOKE, "tracking=mlflow_local")
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def run_dir(root: Path) -> Path:
    return root / "runs" / "arc1_training-ab_mcts_a-offline-b6-s0"


def test_run_writes_every_stage_output(project):
    run = run_dir(project)
    assert (project / "data/arc1_training/tasks.json").exists()
    trees = sorted((run / "trees").glob("*.json"))
    assert len(trees) == 3
    tree = read_tree(trees[0])
    assert tree["complete"] and len(tree["nodes"]) == 6
    node = tree["nodes"][0]
    for key in (
        "parent",
        "model",
        "prompt_hash",
        "code",
        "reward",
        "train_outputs",
        "test_outputs",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "latency_s",
        "error",
    ):
        assert key in node
    submission = json.loads((run / "sakana/submission.json").read_text())
    assert set(submission) == {p.stem for p in trees}
    assert all({"attempt_1", "attempt_2"} <= set(entry) for v in submission.values() for entry in v)
    assert len(list((run / "sakana/submissions").glob("*.json"))) == 3
    metrics = json.loads((run / "sakana/metrics.json").read_text())
    assert len(metrics["pass_at_k_curve"]) == 6
    assert 0.0 <= metrics["pass_at_2"] <= metrics["pass_at_k_curve"][-1] <= 1.0
    assert metrics["calls"] == 18
    for png in ("pass_at_k.png", "model_allocation.png", "cost.png"):
        assert (run / "sakana/plots" / png).read_bytes()[:4] == b"\x89PNG"


def test_search_stage_never_sees_test_outputs(project):
    """The tasks file the search reads holds no test outputs; only solutions.json has them."""
    tasks = json.loads((project / "data/arc1_training/tasks.json").read_text())
    assert all("output" not in pair for task in tasks.values() for pair in task["test"])
    solutions = json.loads((project / "data/arc1_training/solutions.json").read_text())
    assert set(solutions) == set(tasks)


def test_mlflow_run_has_params_tags_and_stepped_curve(project):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    runs = client.search_runs(client.get_experiment_by_name("abmcts-arc").experiment_id)
    kinds = {r.data.tags["abmcts.kind"]: r for r in runs}
    assert len(runs) == 2 and set(kinds) == {"pipeline", "selection"}  # the strategy nests in the run
    run = kinds["selection"]
    assert run.data.tags["mlflow.parentRunId"] == kinds["pipeline"].info.run_id
    assert run.data.tags["search"] == "ab_mcts_a" and run.data.tags["selection"] == "sakana"
    assert run.data.params["search.budget"] == "6"
    history = client.get_metric_history(run.info.run_id, "pass_at_k")
    assert [m.step for m in history] == [1, 2, 3, 4, 5, 6]


def test_replay_is_byte_identical_with_zero_model_calls(project):
    """Replay from the cache into a new run dir: same trees to the byte, every call a cache hit."""
    done = run_pipeline(project, "run", *SMOKE, "cache.mode=replay", "run.root=replayed", "tracking=none")
    assert done.returncode == 0, done.stderr[-3000:]
    original, replayed = run_dir(project), project / "replayed" / run_dir(project).name
    for tree in sorted((original / "trees").glob("*.json")):
        assert (replayed / "trees" / tree.name).read_bytes() == tree.read_bytes()
    summary = json.loads((replayed / "search_summary.json").read_text())
    assert summary["cache"]["misses"] == 0 and summary["cache"]["hits"] == 18
    assert json.loads((replayed / "sakana/metrics.json").read_text()) == json.loads(
        (original / "sakana/metrics.json").read_text()
    )


def test_selection_strategies_compare_on_the_same_trees(project):
    """Another strategy reuses the finished trees (no new calls) and writes beside the first."""
    cache = project / "cache/responses.sqlite"
    rows_before = sqlite3.connect(cache).execute("select count(*) from responses").fetchone()[0]
    for strategy in ("majority_vote", "weighted_agreement"):
        done = run_pipeline(project, "run", *SMOKE, f"selection={strategy}", "tracking=none")
        assert done.returncode == 0, done.stderr[-3000:]
        assert (run_dir(project) / strategy / "metrics.json").exists()
    rows_after = sqlite3.connect(cache).execute("select count(*) from responses").fetchone()[0]
    assert rows_after == rows_before


def test_replay_of_an_uncached_run_fails_clearly(project):
    done = run_pipeline(project, "search", *SMOKE, "seed=99", "cache.mode=replay", "tracking=none")
    assert done.returncode == 2
    assert "error:" in done.stderr and "offline/" in done.stderr
