"""The search stage's live view: `progress/*` metrics as tasks finish, and each task's trace
(written in batches, at least every FLUSH_EVERY_S seconds).

Called from `run_tasks`'s `on_result` hook in the main process. A tracking failure (server gone)
is logged once and stops further tracking; it never fails the search, whose results are on disk.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.experiment.treefile import read_tree_nodes
from abmcts.io import read_json
from abmcts.tracking.runs import Tracker
from abmcts.tracking.traces import TraceWriter, sampled, task_trace

log = logging.getLogger(__name__)
FLUSH_EVERY_S = 10.0  # buffered traces reach the UI at least this often (and in batches: cheaper)


class SearchMonitor:
    """`on_result` hook: stepped progress metrics (step = tasks done) and one trace per task."""

    def __init__(self, tracker: Tracker, cfg: RootConfig) -> None:
        self.tracker = tracker
        self.cfg = cfg
        self.paths = RunPaths.of(cfg)
        self.done = self.calls = self.solved_train = 0
        self.cost = 0.0
        self.traces = TraceWriter(cfg.tracking.uri, tracker.experiment_id, tracker.run_id)
        self._last_flush = time.monotonic()
        self.busy_s = 0.0  # time spent here, for the overhead benchmark
        self.failed = False

    def __call__(self, summary: dict[str, Any]) -> None:
        self.done += 1
        self.calls += summary["calls"]
        self.cost += summary.get("cost", 0.0)
        self.solved_train += summary["best_reward"] == 1.0
        if self.failed:
            return
        start = time.perf_counter()
        try:
            self._log(summary)
        except Exception as exc:  # noqa: BLE001 - tracking must never fail a search
            self.failed = True
            log.warning("MLflow tracking stopped (the search goes on): %s: %s", type(exc).__name__, exc)
        self.busy_s += time.perf_counter() - start

    def _log(self, summary: dict[str, Any]) -> None:
        from mlflow.entities import Metric

        tracking, tracker = self.cfg.tracking, self.tracker
        now_ms = int(time.time() * 1000)
        if tracking.progress:
            values = {
                "tasks_done": self.done,
                "calls": self.calls,
                "cost_usd": self.cost,
                "solved_train": self.solved_train,
            }
            metrics = [Metric(f"progress/{k}", float(v), now_ms, self.done) for k, v in values.items()]
            tracker.client.log_batch(tracker.run_id, metrics=metrics)
        task_id = summary["task_id"]
        if (
            tracking.traces
            and sampled(task_id, tracking.trace_sample)
            and any(c is not None for c in summary.get("cached", []))
        ):
            path = self.paths.tree(task_id)
            nodes = read_tree_nodes(read_json(path, "tree file"), f"tree file {path}")
            trace = task_trace(
                task_id,
                nodes,
                summary["cached"],
                end_ns=time.time_ns(),
                wall_s=summary.get("timings_s", {}).get("task"),
            )
            if trace is not None:
                self.traces.add(trace)
        if time.monotonic() - self._last_flush >= FLUSH_EVERY_S:
            self.traces.flush()
            self._last_flush = time.monotonic()

    def close(self) -> None:
        """Write the traces still buffered (the search stage calls it when the search ends)."""
        if self.failed:
            return
        start = time.perf_counter()
        try:
            self.traces.flush()
        except Exception as exc:  # noqa: BLE001 - the search is done and on disk either way
            self.failed = True
            log.warning("MLflow traces not written: %s: %s", type(exc).__name__, exc)
        self.busy_s += time.perf_counter() - start
