"""One MLflow trace per task, one LLM span per model call, built from the finished task's tree.

Built in the main process after the task's summary arrives, never inside the search: span times
are synthesised (see `log_task_trace`) from the task's wall time and the calls' recorded latencies,
because the tree file holds no wall-clock times (replay must stay byte-identical). Whether a
response came from the cache is known only to the process that made the call, so it travels in the
task summary (`cached`, per node id; None for nodes loaded from a checkpoint, whose `abmcts.cached`
is then null). Each pipeline run holds one trace per task: a task already traced in it (an earlier
invocation of the same run) is not traced again, and one that never was (its tree was finished
before this run existed) is traced from its tree file (`SearchMonitor`).

Traces are written whole and in batches (`TraceWriter`: one `TracingClient.log_spans` store
transaction for many tasks' spans, then one `link_traces_to_run`), in MLflow's stored span format:
the live-span API (`MlflowClient.start_span`) exports and commits every span on its own, which on a
sqlite store costs ~45 ms per span; a batch costs ~1.3 ms per span (bench/tracking_overhead.py).
Trace-level tags ride on the root span as `mlflow.traceTag.<key>` attributes, which the store
turns into tags.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CODE_PREVIEW_CHARS = 2000
TASK_ID_TAG = "abmcts.task_id"
_OK, _ERROR = "STATUS_CODE_OK", "STATUS_CODE_ERROR"


def sampled(task_id: str, fraction: float) -> bool:
    """Deterministic per task, so reruns and resumed runs trace the same tasks."""
    if fraction >= 1.0:
        return True
    digest = int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < fraction


def _span_id() -> str:
    return base64.b64encode(os.urandom(8)).decode()


def _span(
    trace_b64: str,
    trace_id: str,
    name: str,
    parent: str | None,
    start_ns: int,
    end_ns: int,
    attributes: Mapping[str, Any],
    error: str | None = None,
) -> dict[str, Any]:
    """A span in MLflow's stored form: attribute values JSON-encoded, OTel ids base64-encoded."""
    attrs = {"mlflow.traceRequestId": trace_id, "mlflow.spanStartTimeNs": start_ns, **attributes}
    return {
        "trace_id": trace_b64,
        "span_id": _span_id(),
        "parent_span_id": parent,
        "name": name,
        "start_time_unix_nano": start_ns,
        "end_time_unix_nano": end_ns,
        "events": [],
        "status": {"code": _ERROR if error is not None else _OK, "message": error or ""},
        "attributes": {k: json.dumps(v, default=str) for k, v in attrs.items()},
        "links": [],
    }


def fenced(text: str, language: str = "") -> str:
    """Untrusted text as a Markdown code block: MLflow's UI renders string span outputs as Markdown,
    so LLM-written code would otherwise become headings, links or HTML. The fence is longer than
    any backtick run in the text, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _call_attributes(node: Mapping[str, Any], cached: bool | None) -> dict[str, Any]:
    prompt, completion = node["prompt_tokens"], node["completion_tokens"]
    code = node["code"] or ""
    return {
        "mlflow.spanType": "LLM",
        "mlflow.spanInputs": {
            "model": node["model"],
            "parent_node": node["parent"],
            "prompt_hash": node["prompt_hash"],
        },
        "mlflow.spanOutputs": {
            "reward": node["reward"],
            "train_correct": node["train_correct"],
            "error": None if node["error"] is None else fenced(node["error"]),
            "code": fenced(
                code[:CODE_PREVIEW_CHARS] + ("\n..." if len(code) > CODE_PREVIEW_CHARS else ""), "python"
            ),
        },
        "mlflow.llm.model": node["model"],
        "mlflow.chat.tokenUsage": {
            "input_tokens": prompt,
            "output_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "mlflow.llm.cost": {"total_cost": float(node["cost"])},
        "abmcts.node_id": node["id"],
        "abmcts.parent": -1 if node["parent"] is None else node["parent"],
        "abmcts.cached": cached,
        "abmcts.reward": float(node["reward"]),
        "abmcts.latency_s": float(node["latency_s"]),
        "abmcts.cost_usd": float(node["cost"]),
    }


@dataclass(frozen=True)
class TaskTrace:
    """One task's finished trace, ready to write."""

    trace_id: str
    task_id: str
    spans: list[dict[str, Any]]


def task_trace(
    task_id: str,
    nodes: Sequence[Mapping[str, Any]],
    cached: Sequence[bool | None],
    end_ns: int,
    wall_s: float | None = None,
) -> TaskTrace | None:
    """The trace of every call in `task_id`'s tree (None: no calls).

    The trace spans the task's wall time `wall_s` (default: the calls' summed latencies), call i
    starting at i/n of it; a span lasts the call's recorded latency, or its share of the wall time
    when the model reports none (offline models answer in-process). A call that produced no
    program (API error, no code) is an ERROR span with the error as its message.
    """
    calls = list(nodes)
    if not calls:
        return None
    total_ns = int((wall_s if wall_s else sum(n["latency_s"] for n in calls)) * 1e9)
    slot = max(1, total_ns // len(calls))
    start_ns = end_ns - max(total_ns, slot * len(calls))
    otel_id = os.urandom(16)
    trace_b64, trace_id = base64.b64encode(otel_id).decode(), f"tr-{otel_id.hex()}"
    root_attributes = {
        "mlflow.spanType": "AGENT",
        "mlflow.spanInputs": {"task_id": task_id},
        "mlflow.spanOutputs": {
            "best_reward": max(n["reward"] for n in nodes),
            "calls": len(calls),
            "calls_this_session": sum(c is not None for c in cached),
        },
        f"mlflow.traceTag.{TASK_ID_TAG}": task_id,
        "mlflow.traceTag.mlflow.traceName": f"task {task_id}",
    }
    root = _span(trace_b64, trace_id, f"task {task_id}", None, start_ns, end_ns, root_attributes)
    spans = [root]
    for i, node in enumerate(calls):
        t = start_ns + i * slot
        end = t + (int(node["latency_s"] * 1e9) or slot)
        root["end_time_unix_nano"] = max(root["end_time_unix_nano"], end)
        error = (node["error"] or "no program") if node["code"] is None else None
        attributes = _call_attributes(node, cached[node["id"]] if node["id"] < len(cached) else None)
        spans.append(_span(trace_b64, trace_id, node["model"], root["span_id"], t, end, attributes, error))
    return TaskTrace(trace_id, task_id, spans)


def traced_tasks(tracking_uri: str, experiment_id: str, run_id: str) -> set[str]:
    """The tasks that already have a trace in this run (an earlier invocation of it)."""
    from mlflow.tracking import MlflowClient

    client, found, token = MlflowClient(tracking_uri), set(), None
    while True:
        page = client.search_traces(
            locations=[experiment_id],
            run_id=run_id,
            max_results=500,
            page_token=token,
            include_spans=False,
        )
        found |= {t.info.tags[TASK_ID_TAG] for t in page if TASK_ID_TAG in t.info.tags}
        token = page.token
        if not token:
            return found


class TraceWriter:
    """Buffers task traces and writes them to the run's experiment in batches."""

    def __init__(self, tracking_uri: str, experiment_id: str, run_id: str, batch_spans: int = 1000) -> None:
        self.tracking_uri = tracking_uri
        self.experiment_id = experiment_id
        self.run_id = run_id
        self.batch_spans = batch_spans
        self.pending: list[TaskTrace] = []
        self.written: list[str] = []

    def add(self, trace: TaskTrace) -> None:
        self.pending.append(trace)
        if sum(len(t.spans) for t in self.pending) >= self.batch_spans:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        from mlflow.entities import Span
        from mlflow.tracing.client import TracingClient
        from mlflow.tracking import MlflowClient

        batch, self.pending = self.pending, []
        spans = [Span.from_dict(s) for trace in batch for s in trace.spans]
        TracingClient(self.tracking_uri).log_spans(self.experiment_id, spans)
        ids = [t.trace_id for t in batch]
        MlflowClient(self.tracking_uri).link_traces_to_run(ids, self.run_id)
        self.written.extend(ids)
