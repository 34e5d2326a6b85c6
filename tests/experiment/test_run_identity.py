"""A run's identity: its task selection (never scored over another), and one MLflow pipeline run
per run across invocations, none when the configuration is wrong."""

from __future__ import annotations

import dataclasses
import json

import pytest

from abmcts.cli import run_stage
from abmcts.errors import ConfigError, InputError
from abmcts.experiment.paths import RunPaths
from abmcts.llm.spec import ModelSpec
from abmcts.stages.fetch import fetch_stage
from abmcts.stages.score import score_stage
from abmcts.stages.search import search_stage
from abmcts.stages.select import select_stage

from project_helpers import smoke_config

TINY = ("data.limit=2", "search.budget=3", "executor=sequential", "search=ab_mcts_a")


def pipeline(cfg) -> dict:
    """The three stages as the pipeline runs them (tracked when the config says so)."""
    run_stage("search", cfg, progress=False)
    run_stage("select", cfg)
    return run_stage("score", cfg)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity")
    cfg = smoke_config(tmp, "runs", *TINY, "run.name=r")
    fetch_stage(cfg)
    pipeline(cfg)
    return tmp, cfg


def outputs(cfg) -> dict[str, bytes]:
    run = RunPaths.of(cfg).run_dir
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def test_another_task_selection_never_replaces_a_runs_results(scored):
    tmp, cfg = scored
    before = outputs(cfg)
    assert json.loads(RunPaths.of(cfg).task_ids.read_text())["task_ids"] == sorted(
        p.stem for p in RunPaths.of(cfg).trees.glob("*.json")
    )
    for overrides in (("data.limit=1",), ("data.offset=1",), ("data.limit=3",)):
        other = smoke_config(tmp, "runs", *TINY, "run.name=r", *overrides)
        for stage in (search_stage, select_stage, score_stage):
            with pytest.raises(InputError) as err:
                stage(other)
            message = str(err.value)
            assert "\n" not in message and "searched 2 tasks" in message and "run.name" in message
    assert outputs(cfg) == before  # nothing rewritten


def test_the_same_tasks_named_another_way_are_the_same_run(scored):
    tmp, cfg = scored
    ids = json.loads(RunPaths.of(cfg).task_ids.read_text())["task_ids"]
    same = smoke_config(tmp, "runs", *TINY, "run.name=r", f"data.task_ids=[{','.join(repr(i) for i in ids)}]")
    assert pipeline(same)["n_tasks"] == 2


def test_a_run_from_before_task_ids_json_is_checked_against_its_config(scored):
    tmp, cfg = scored
    paths = RunPaths.of(cfg)
    saved = paths.task_ids.read_bytes()
    paths.task_ids.unlink()
    try:
        other = smoke_config(tmp, "runs", *TINY, "run.name=r", "data.limit=1")
        with pytest.raises(InputError, match="searched 2 tasks"):
            score_stage(other)
    finally:
        paths.task_ids.write_bytes(saved)


def mlflow_runs(uri: str, experiment: str) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    return [] if exp is None else client.search_runs([exp.experiment_id])


def test_two_invocations_of_one_run_leave_one_pipeline_run_and_one_trace_per_task(tmp_path):
    from mlflow.tracking import MlflowClient

    from abmcts.tracking import runs

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = smoke_config(tmp_path, "runs", *TINY, "tracking=mlflow_local", f"tracking.uri={uri}")
    fetch_stage(cfg)
    for _ in range(2):  # the second invocation is a resume: every tree is finished
        runs.forget_open_runs()  # each invocation is its own process
        pipeline(cfg)
    found = mlflow_runs(uri, cfg.tracking.experiment)
    kinds = sorted(r.data.tags["abmcts.kind"] for r in found)
    assert kinds == ["pipeline", "selection"]  # the rescore replaced the strategy's run
    (pipe,) = [r for r in found if r.data.tags["abmcts.kind"] == "pipeline"]
    assert pipe.info.status == "FINISHED" and pipe.data.tags["mlflow.source.name"]
    traces = MlflowClient(uri).search_traces(locations=[pipe.info.experiment_id], run_id=pipe.info.run_id)
    assert sorted(t.info.tags["abmcts.task_id"] for t in traces) == sorted(
        p.stem for p in RunPaths.of(cfg).trees.glob("*.json")
    )


def test_a_configuration_error_leaves_no_mlflow_run(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = smoke_config(tmp_path, "runs", *TINY, "tracking=mlflow_local", f"tracking.uri={uri}")
    fetch_stage(cfg)
    unpriced = ModelSpec(name="m", model="openai/not-a-model-abmcts", api_base="http://127.0.0.1:9/v1")
    capped = dataclasses.replace(
        cfg,
        models=dataclasses.replace(cfg.models, specs=[unpriced]),
        run=dataclasses.replace(cfg.run, max_cost_usd=1.0),
    )
    with pytest.raises(ConfigError, match="not-a-model-abmcts"):
        run_stage("search", capped, progress=False)
    assert mlflow_runs(uri, cfg.tracking.experiment) == []
    assert not RunPaths.of(cfg).task_ids.exists()  # nothing recorded for a run that never started
