"""Run groups and run lifecycle against a real (sqlite) MLflow store."""

from __future__ import annotations

import pytest
from tracking_helpers import tracked_config

from abmcts.tracking import runs
from abmcts.tracking.runs import END_REASON, KIND, PARENT, Sweep, stage_run


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One sqlite store for the module (creating one costs seconds); each test has its experiment."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    runs.forget_open_runs()
    monkeypatch.setattr(runs, "current_sweep", lambda: None)
    yield
    runs.forget_open_runs()


def all_runs(cfg):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(cfg.tracking.uri)
    exp = client.get_experiment_by_name(cfg.tracking.experiment)
    return client, client.search_runs([exp.experiment_id], order_by=["attribute.start_time ASC"])


def test_a_stage_run_is_tagged_with_provenance_and_the_dataset(tmp_path, store):
    cfg = tracked_config(tmp_path, store, "prov")
    with stage_run(cfg, "search") as tracker:
        client, found = all_runs(cfg)
        assert found[0].info.status == "RUNNING"
    client, found = all_runs(cfg)
    (run,) = found
    assert run.info.run_id == tracker.run_id and run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags[KIND] == "pipeline" and tags["run"] == cfg.run.name
    assert len(tags["abmcts.fingerprint"]) >= 8 and len(tags["abmcts.data_version"]) >= 8
    assert '"mlflow"' in tags["abmcts.packages"]
    (dataset,) = run.inputs.dataset_inputs
    assert dataset.dataset.name == "arc1_training[2]" and len(dataset.dataset.digest) == 16
    assert "tasks.json" in dataset.dataset.source
    assert [(t.key, t.value) for t in dataset.tags] == [("mlflow.data.context", "search")]


def test_interrupt_kills_and_error_fails_with_the_reason(tmp_path, store, monkeypatch):
    monkeypatch.setenv("CANARY_API_KEY", "sk-canary-0123456789")
    cfg = tracked_config(tmp_path, store, "ends")
    ended = []
    for exc in (
        KeyboardInterrupt(),
        ValueError("bad thing"),
        RuntimeError("key sk-canary-0123456789 leaked"),
    ):
        runs.forget_open_runs()  # each attempt in its own process: it reopens the run's one pipeline run
        with pytest.raises(type(exc)), stage_run(cfg, "search"):
            raise exc
        _, (run,) = all_runs(cfg)
        ended.append(run)
    killed, failed, secret = ended
    assert killed.info.status == "KILLED" and "KeyboardInterrupt" in killed.data.tags[END_REASON]
    assert (
        failed.info.status == "FAILED"
        and failed.data.tags[END_REASON] == "search stage failed: ValueError: bad thing"
    )
    assert "bad thing" in failed.data.tags["mlflow.note.content"]
    assert "sk-canary" not in repr(secret.data.tags)


def test_later_stages_join_the_search_run_even_from_another_process(tmp_path, store):
    cfg = tracked_config(tmp_path, store, "join")
    with stage_run(cfg, "search") as search:
        pass
    runs.forget_open_runs()  # as if the score stage ran in its own process (dvc repro)
    with stage_run(cfg, "score") as score:
        pass
    assert score.run_id == search.run_id
    runs.forget_open_runs()
    with stage_run(cfg, "search") as resumed:  # the same run searched again (a resume): reopened
        pass
    assert resumed.run_id == search.run_id
    other = tracked_config(tmp_path, store, "join", "data.limit=1")  # another run: another pipeline run
    with stage_run(other, "search") as fresh:
        pass
    assert fresh.run_id != search.run_id
    client, found = all_runs(cfg)
    assert len(found) == 2 and found[0].data.tags["mlflow.source.name"]


def test_multirun_jobs_nest_under_one_parent(tmp_path, store, monkeypatch):
    cfg_a = tracked_config(tmp_path / "a", store, "sweep")
    cfg_b = tracked_config(tmp_path / "b", store, "sweep")
    monkeypatch.setattr(runs, "current_sweep", lambda: Sweep("k1", 0, "-m x=1,2"))
    with stage_run(cfg_a, "search") as job0:
        pass
    runs.forget_open_runs()  # job 1 in another process (a parallel launcher)
    monkeypatch.setattr(runs, "current_sweep", lambda: Sweep("k1", 1, "-m x=1,2"))
    with stage_run(cfg_b, "search") as job1:
        pass
    client, found = all_runs(cfg_a)
    by_kind = {}
    for run in found:
        by_kind.setdefault(run.data.tags[KIND], []).append(run)
    (parent,) = by_kind["sweep"]
    assert parent.info.status == "FINISHED"
    pipelines = {r.info.run_id: r for r in by_kind["pipeline"]}
    assert set(pipelines) == {job0.run_id, job1.run_id}
    assert all(r.data.tags[PARENT] == parent.info.run_id for r in pipelines.values())
