"""Traces: one per task, an LLM span per model call with tokens, cost, latency, cache flag, reward;
written in batches and linked to the run."""

from __future__ import annotations

import json
import time

import pytest
from tracking_helpers import node

from abmcts.tracking.traces import TraceWriter, fenced, sampled, task_trace


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path_factory.mktemp('traces') / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    return uri, client, client.create_experiment("traces")


def write(store, *traces):
    uri, client, exp = store
    run_id = client.create_run(exp).info.run_id
    writer = TraceWriter(uri, exp, run_id, batch_spans=10_000)
    for trace in traces:
        writer.add(trace)
    assert writer.written == []  # buffered until a batch fills or flush()
    writer.flush()
    return run_id, writer.written


def test_a_task_trace_has_one_llm_span_per_call(store):
    import mlflow

    nodes = [
        node(0, None, "m/a", 0.0),  # resumed from a checkpoint: traced, cache use unknown (null)
        node(1, 0, "m/a", 1.0),
        node(2, None, "m/b", 0.0, code=None, error="RateLimitError: slow down"),
    ]
    end = time.time_ns()
    run_id, (trace_id,) = write(store, task_trace("t1", nodes, [None, True, False], end_ns=end))
    (trace,) = mlflow.search_traces(locations=[store[2]], run_id=run_id, return_type="list")
    assert trace.info.trace_id == trace_id and trace.info.tags["abmcts.task_id"] == "t1"
    assert trace.info.tags["mlflow.traceName"] == "task t1"
    assert trace.info.token_usage == {"input_tokens": 303, "output_tokens": 30, "total_tokens": 333}
    root, *spans = trace.data.spans
    assert [s.name for s in spans] == ["m/a", "m/a", "m/b"]
    assert all(s.span_type == "LLM" and s.parent_id == root.span_id for s in spans)
    resumed, ok, failed = spans
    assert resumed.attributes["abmcts.cached"] is None
    assert ok.attributes["abmcts.cached"] is True and failed.attributes["abmcts.cached"] is False
    assert ok.attributes["abmcts.reward"] == 1.0 and ok.attributes["mlflow.llm.model"] == "m/a"
    assert ok.attributes["mlflow.chat.tokenUsage"]["total_tokens"] == 111
    assert ok.status.status_code == "OK" and failed.status.status_code == "ERROR"
    assert "RateLimitError" in failed.status.description
    assert (ok.end_time_ns - ok.start_time_ns) == pytest.approx(0.5e9)  # its recorded latency
    assert ok.start_time_ns < failed.start_time_ns and failed.end_time_ns <= end


def test_calls_without_latency_share_the_task_wall_time(store):
    """Offline models report latency 0: each span gets its share of the task's wall time."""
    import mlflow

    nodes = [node(i, None, "offline/x", 0.0, latency_s=0.0) for i in range(4)]
    trace = task_trace("t", nodes, [False] * 4, end_ns=time.time_ns(), wall_s=2.0)
    other = task_trace("u", nodes, [True] * 4, end_ns=time.time_ns(), wall_s=1.0)
    run_id, ids = write(store, trace, other)  # two tasks, one batch
    traces = mlflow.search_traces(locations=[store[2]], run_id=run_id, return_type="list")
    found = {t.info.tags["abmcts.task_id"]: t for t in traces}
    assert set(found) == {"t", "u"} and sorted(ids) == sorted(t.info.trace_id for t in found.values())
    assert found["t"].info.execution_duration == pytest.approx(2000, abs=1)
    spans = found["t"].data.spans[1:]
    assert [s.end_time_ns - s.start_time_ns for s in spans] == [500_000_000] * 4


def test_no_calls_means_no_trace():
    assert task_trace("t", [], [], time.time_ns()) is None


def test_sampling_is_deterministic_and_near_the_fraction():
    ids = [f"task{i:04d}" for i in range(2000)]
    picked = [t for t in ids if sampled(t, 0.25)]
    assert picked == [t for t in ids if sampled(t, 0.25)]
    assert 400 < len(picked) < 600
    assert all(sampled(t, 1.0) for t in ids) and not any(sampled(t, 0.0) for t in ids)


def test_llm_text_in_span_outputs_is_a_code_block_it_cannot_close():
    """MLflow's UI renders string outputs as Markdown: code and errors go in a fence that is
    longer than any backtick run inside them, so `<script>`, headings or links stay text."""
    hostile = "# title\n```\n</code><script>alert(1)</script>\n````"
    block = fenced(hostile, "python")
    assert block.startswith("`````python\n") and block.endswith("\n`````")
    assert block[len("`````python\n") : -len("\n`````")] == hostile
    trace = task_trace(
        "t", [node(0, None, "m", 0.0, code=hostile, error="<b>x</b>")], [False], time.time_ns()
    )
    outputs = json.loads(trace.spans[1]["attributes"]["mlflow.spanOutputs"])
    assert outputs["code"] == fenced(hostile, "python") and outputs["error"] == fenced("<b>x</b>")
