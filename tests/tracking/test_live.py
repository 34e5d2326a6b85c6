"""The search stage's live progress: stepped metrics per finished task; a broken store never fails
the search."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from tracking_helpers import node

from abmcts.arc.treefile import TreeEncoder
from abmcts.experiment.paths import RunPaths
from abmcts.tracking.live import SearchMonitor
from abmcts.tracking.runs import Tracker

from project_helpers import smoke_config


class RecordingClient:
    """Stands in for MlflowClient: records the metric batches it is given."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.batches = []

    def log_batch(self, run_id, metrics=()):
        if self.fail:
            raise ConnectionError("tracking server gone")
        self.batches.append(list(metrics))


def summary(task_id, calls, best, cost=0.5, cached=None):
    return {"task_id": task_id, "calls": calls, "best_reward": best, "cost": cost, "cached": cached or []}


def test_progress_metrics_step_with_tasks_done(tmp_path):
    cfg = smoke_config(tmp_path, "runs", "++tracking.traces=false")
    client = RecordingClient()
    monitor = SearchMonitor(Tracker(client, "0", "run"), cfg)
    monitor(summary("a", 8, 1.0))
    monitor(summary("b", 8, 0.5))
    monitor.close()  # the writer thread has logged everything queued
    last = {m.key: (m.value, m.step) for m in client.batches[-1]}
    assert last == {
        "progress/tasks_done": (2.0, 2),
        "progress/calls": (16.0, 2),
        "progress/cost_usd": (1.0, 2),
        "progress/solved_train": (1.0, 2),
    }


def test_a_failing_store_is_reported_once_and_the_search_goes_on(tmp_path, caplog):
    cfg = smoke_config(tmp_path, "runs")
    monitor = SearchMonitor(Tracker(RecordingClient(fail=True), "0", "run"), cfg)
    with caplog.at_level(logging.WARNING):
        for i in range(3):
            monitor(summary(f"t{i}", 8, 0.0))
        monitor.close()
    assert monitor.failed and monitor.done == 3 and monitor.calls == 24
    assert [r.message for r in caplog.records].count(
        "MLflow tracking stopped (the search goes on): ConnectionError: tracking server gone"
    ) == 1


def test_traces_are_read_from_the_finished_tree_file(tmp_path, monkeypatch):
    cfg = smoke_config(tmp_path, "runs", "++tracking.progress=false")
    tree_path = RunPaths.of(cfg).tree("t1")
    tree_path.parent.mkdir(parents=True)
    encoder = TreeEncoder()
    for n in (node(0, None, "m/a", 0.0), node(1, 0, "m/a", 1.0)):
        encoder.add(n)
    tree_path.write_text(encoder.dumps({"task_id": "t1", "complete": True}))
    seen = {}

    def fake_trace(task_id, nodes, cached, end_ns, wall_s):
        seen.update(task=task_id, ids=[n["id"] for n in nodes], cached=cached, wall_s=wall_s)
        return "trace"

    monkeypatch.setattr("abmcts.tracking.live.task_trace", fake_trace)
    # t2 was traced by an earlier invocation of this run: it is not traced again
    monkeypatch.setattr("abmcts.tracking.live.traced_tasks", lambda uri, exp, run: {"t2"})
    monitor = SearchMonitor(Tracker(SimpleNamespace(), "0", "run"), cfg)
    added = []
    monitor.traces.add = added.append
    monitor(summary("t1", 2, 1.0, cached=[True, False]) | {"timings_s": {"task": 1.5}})
    monitor(summary("t2", 2, 1.0, cached=[None, None]))
    monitor.close()
    assert seen == {"task": "t1", "ids": [0, 1], "cached": [True, False], "wall_s": 1.5} and added == [
        "trace"
    ]
    assert json.loads(tree_path.read_text())["complete"]
