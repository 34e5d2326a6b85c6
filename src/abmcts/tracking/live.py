"""The search stage's live view: `progress/*` metrics as tasks finish, and each task's trace
(written in batches, at least every FLUSH_EVERY_S seconds).

`SearchMonitor` is `run_tasks`'s `on_result` hook. The hook itself only counts and queues; one
background thread does the MLflow writes (sqlite commits wait on the disk), so the main process
keeps collecting results while the workers search. A tracking failure (server gone) is logged
once and stops further tracking; it never fails the search, whose results are on disk.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from abmcts.arc.treefile import read_tree_calls
from abmcts.experiment.config import RootConfig
from abmcts.experiment.paths import RunPaths
from abmcts.io import read_json
from abmcts.tracking.runs import Tracker
from abmcts.tracking.traces import TraceWriter, sampled, task_trace, traced_tasks

log = logging.getLogger(__name__)
FLUSH_EVERY_S = 10.0  # buffered traces reach the UI at least this often (and in batches: cheaper)
_DONE = object()


class SearchMonitor:
    """`on_result` hook: stepped progress metrics (step = tasks done) and one trace per task."""

    def __init__(self, tracker: Tracker, cfg: RootConfig) -> None:
        self.tracker = tracker
        self.cfg = cfg
        self.paths = RunPaths.of(cfg)
        self.done = self.calls = self.solved_train = 0
        self.cost = 0.0
        self.traces = TraceWriter(cfg.tracking.uri, tracker.experiment_id, tracker.run_id)
        # tasks an earlier invocation of this run traced (each task is traced once per run); read
        # on the writer thread at its first trace, where a tracking failure cannot fail the search
        self.traced: set[str] | None = None
        self.busy_s = 0.0  # the writer thread's wall and CPU time, for the overhead benchmark
        self.busy_cpu_s = 0.0
        self.failed = False
        self._last_flush = time.monotonic()
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._drain, name="mlflow-progress", daemon=True)
        self._thread.start()

    def __call__(self, summary: dict[str, Any]) -> None:
        self.done += 1
        self.calls += summary["calls"]
        # the run's spend ledger when it keeps one (what the provider billed), else the trees' costs
        self.cost = summary.get("run_billed_usd", self.cost + summary.get("cost", 0.0))
        self.solved_train += summary["best_reward"] == 1.0
        progress = {
            "tasks_done": self.done,
            "calls": self.calls,
            "cost_usd": self.cost,
            "solved_train": self.solved_train,
        }
        self._queue.put((summary, progress, int(time.time() * 1000), time.time_ns()))

    def close(self) -> None:
        """Write what is still queued and buffered, then stop the writer (end of the search)."""
        self._queue.put(_DONE)
        self._thread.join()

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            final = item is _DONE
            start, cpu = time.perf_counter(), time.thread_time()
            if not self.failed:
                try:
                    if final:
                        self.traces.flush()
                    else:
                        self._log(*item)
                except Exception as exc:  # noqa: BLE001 - tracking must never fail a search
                    self.failed = True
                    log.warning(
                        "MLflow tracking stopped (the search goes on): %s: %s", type(exc).__name__, exc
                    )
            self.busy_s += time.perf_counter() - start
            self.busy_cpu_s += time.thread_time() - cpu
            if final:
                return

    def _log(self, summary: dict[str, Any], progress: dict[str, float], now_ms: int, now_ns: int) -> None:
        from mlflow.entities import Metric

        tracking, tracker = self.cfg.tracking, self.tracker
        if tracking.progress:
            step = int(progress["tasks_done"])
            metrics = [Metric(f"progress/{k}", float(v), now_ms, step) for k, v in progress.items()]
            tracker.client.log_batch(tracker.run_id, metrics=metrics)
        task_id = summary["task_id"]
        if tracking.traces and self.traced is None:
            self.traced = traced_tasks(self.cfg.tracking.uri, tracker.experiment_id, tracker.run_id)
        if (
            tracking.traces
            and self.traced is not None
            and sampled(task_id, tracking.trace_sample)
            and task_id not in self.traced
        ):
            path = self.paths.tree(task_id)
            nodes = read_tree_calls(read_json(path, "tree file"), f"tree file {path}")
            trace = task_trace(
                task_id,
                nodes,
                summary["cached"],
                end_ns=now_ns,
                wall_s=summary.get("timings_s", {}).get("task"),
            )
            if trace is not None:
                self.traces.add(trace)
                self.traced.add(task_id)
        if time.monotonic() - self._last_flush >= FLUSH_EVERY_S:
            self.traces.flush()
            self._last_flush = time.monotonic()
