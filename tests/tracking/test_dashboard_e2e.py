"""A Hydra multirun as a team sees it in MLflow: one parent, the pipeline run, a child per strategy,
live progress, a trace per task, the per-task table and tree pages; plus `pipeline/view.py`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from project_helpers import copy_project, run_pipeline

pytestmark = pytest.mark.slow
SMOKE = ["experiment=smoke", "data.limit=3", "search.budget=6", "executor.n_jobs=2"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("dash"))
    done = run_pipeline(
        root,
        "run",
        "-m",
        *SMOKE,
        "tracking=mlflow_local",
        "++tracking.tree_views=2",
        "selection=sakana,majority_vote",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def mlflow_runs(project):
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{project / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("abmcts-arc").experiment_id
    by_kind: dict[str, list] = {}
    for run in client.search_runs([exp]):
        by_kind.setdefault(run.data.tags["abmcts.kind"], []).append(run)
    return client, exp, by_kind


def test_multirun_is_one_parent_with_the_pipeline_run_and_a_child_per_strategy(mlflow_runs):
    _, _, by_kind = mlflow_runs
    (sweep,), (pipeline,) = by_kind["sweep"], by_kind["pipeline"]
    children = by_kind["selection"]
    assert pipeline.data.tags["mlflow.parentRunId"] == sweep.info.run_id
    assert sorted(r.info.run_name for r in children) == ["majority_vote", "sakana"]
    assert all(r.data.tags["mlflow.parentRunId"] == pipeline.info.run_id for r in children)
    assert all(r.info.status == "FINISHED" for r in [sweep, pipeline, *children])
    assert pipeline.inputs.dataset_inputs[0].dataset.name == "arc1_training[3]"


def test_search_progress_is_stepped_per_finished_task(mlflow_runs):
    client, _, by_kind = mlflow_runs
    run_id = by_kind["pipeline"][0].info.run_id
    done = client.get_metric_history(run_id, "progress/tasks_done")
    # job 1 resumes the finished trees: its search re-logs progress (same steps), without new traces
    assert sorted({(m.step, m.value) for m in done}) == [(1, 1.0), (2, 2.0), (3, 3.0)]
    calls = max(m.value for m in client.get_metric_history(run_id, "progress/calls"))
    assert calls == 18


def test_one_trace_per_task_with_an_llm_span_per_call(mlflow_runs):
    import mlflow

    _, exp, by_kind = mlflow_runs
    traces = mlflow.search_traces(locations=[exp], return_type="list")
    assert sorted(t.info.tags["abmcts.task_id"] for t in traces) == ["007bbfb7", "00d62c1b", "017c7c7b"]
    pipeline = by_kind["pipeline"][0].info.run_id
    assert len(mlflow.search_traces(locations=[exp], run_id=pipeline, return_type="list")) == 3
    for trace in traces:
        llm = [s for s in trace.data.spans if s.span_type == "LLM"]
        assert len(llm) == 6 and all(s.attributes["mlflow.llm.model"].startswith("offline/") for s in llm)
        assert trace.info.token_usage["total_tokens"] > 0


def test_children_hold_the_table_and_capped_tree_pages(mlflow_runs, tmp_path):
    client, _, by_kind = mlflow_runs
    child = by_kind["selection"][0]
    names = {a.path for a in client.list_artifacts(child.info.run_id, "trees")}
    assert names == {"trees/007bbfb7.html", "trees/00d62c1b.html"}  # tracking.tree_views=2
    table = client.download_artifacts(child.info.run_id, "tables/per_task.json", str(tmp_path))
    data = json.loads(Path(table).read_text())  # pandas "split" orient, which the UI renders
    assert data["columns"][:3] == ["task_id", "best_train_reward", "solved_test"]
    assert "chosen_nodes" in data["columns"] and any(c.startswith("calls/offline/") for c in data["columns"])
    assert sorted(row[0] for row in data["data"]) == ["007bbfb7", "00d62c1b", "017c7c7b"]


def test_view_stage_writes_a_page_with_one_node_per_tree_node(project):
    done = run_pipeline(project, "view", *SMOKE, "00d62c1b")
    assert done.returncode == 0, done.stderr[-2000:]
    page = project / done.stdout.strip().splitlines()[-1]
    html = page.read_text()
    assert len(re.findall(r'<g class="node[^"]*" data-id="\d+"', html)) == 6
    assert "test\u2713" in html or "A1" in html  # scored: selected answers (and test solvers) marked
    bad = run_pipeline(project, "view", *SMOKE, "nosuchtask")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: task 'nosuchtask'")
