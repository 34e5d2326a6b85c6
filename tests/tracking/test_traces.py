"""Traces: one per task, an LLM span per model call with tokens, cost, latency, cache flag, reward."""

from __future__ import annotations

import time

import pytest
from tracking_helpers import node

from abmcts.tracking.traces import log_task_trace, sampled


@pytest.fixture
def client_and_experiment(tmp_path):
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp = client.create_experiment("traces")
    run = client.create_run(exp)
    return client, exp, run.info.run_id


def test_a_task_trace_has_one_llm_span_per_new_call(client_and_experiment):
    import mlflow

    client, exp, run_id = client_and_experiment
    nodes = [
        node(0, None, "m/a", 0.0),  # resumed from a checkpoint: not traced again
        node(1, 0, "m/a", 1.0),
        node(2, None, "m/b", 0.0, code=None, error="RateLimitError: slow down"),
    ]
    end = time.time_ns()
    trace_id = log_task_trace(client, exp, run_id, "t1", nodes, [None, True, False], end_ns=end)
    mlflow.flush_trace_async_logging()
    trace = client.get_trace(trace_id)
    assert trace.info.tags["abmcts.task_id"] == "t1"
    assert trace.info.trace_metadata["mlflow.sourceRun"] == run_id
    assert trace.info.token_usage == {"input_tokens": 203, "output_tokens": 20, "total_tokens": 223}
    root, *spans = trace.data.spans
    assert [s.name for s in spans] == ["m/a", "m/b"]
    assert all(s.span_type == "LLM" and s.parent_id == root.span_id for s in spans)
    ok, failed = spans
    assert ok.attributes["abmcts.cached"] is True and failed.attributes["abmcts.cached"] is False
    assert ok.attributes["abmcts.reward"] == 1.0 and ok.attributes["mlflow.llm.model"] == "m/a"
    assert ok.status.status_code == "OK" and failed.status.status_code == "ERROR"
    assert "RateLimitError" in failed.status.description
    assert (ok.end_time_ns - ok.start_time_ns) == pytest.approx(0.5e9)  # its recorded latency
    assert failed.end_time_ns <= end  # laid out in order, ending when the summary arrived


def test_calls_without_latency_share_the_task_wall_time(client_and_experiment):
    """Offline models report latency 0: each span gets its share of the task's wall time."""
    import mlflow

    client, exp, run_id = client_and_experiment
    nodes = [node(i, None, "offline/x", 0.0, latency_s=0.0) for i in range(4)]
    end = time.time_ns()
    trace_id = log_task_trace(client, exp, run_id, "t", nodes, [False] * 4, end_ns=end, wall_s=2.0)
    mlflow.flush_trace_async_logging()
    trace = client.get_trace(trace_id)
    assert trace.info.execution_duration == pytest.approx(2000, abs=1)
    spans = trace.data.spans[1:]
    assert [s.end_time_ns - s.start_time_ns for s in spans] == [500_000_000] * 4
    assert [s.start_time_ns for s in spans] == sorted(s.start_time_ns for s in spans)


def test_nothing_new_means_no_trace(client_and_experiment):
    client, exp, run_id = client_and_experiment
    assert log_task_trace(client, exp, run_id, "t", [node(0, None, "m", 0.0)], [None], time.time_ns()) is None


def test_sampling_is_deterministic_and_near_the_fraction():
    ids = [f"task{i:04d}" for i in range(2000)]
    picked = [t for t in ids if sampled(t, 0.25)]
    assert picked == [t for t in ids if sampled(t, 0.25)]
    assert 400 < len(picked) < 600
    assert all(sampled(t, 1.0) for t in ids) and not any(sampled(t, 0.0) for t in ids)
