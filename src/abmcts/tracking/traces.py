"""One MLflow trace per task, one LLM span per model call, built from the finished task's tree.

Built in the main process after the task's summary arrives, never inside the search: span times
are synthesised (see `log_task_trace`) from the task's wall time and the calls' recorded latencies,
because the tree file holds no wall-clock times (replay must stay byte-identical). Whether a
response came from the cache is known only to the process that made the call, so it travels in the
task summary (`cached`, per node id; None for nodes loaded from a checkpoint, which are not traced
again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

CODE_PREVIEW_CHARS = 2000
TASK_ID_TAG = "abmcts.task_id"


def sampled(task_id: str, fraction: float) -> bool:
    """Deterministic per task, so reruns and resumed runs trace the same tasks."""
    if fraction >= 1.0:
        return True
    digest = int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < fraction


def _span_attributes(node: Mapping[str, Any], cached: bool) -> dict[str, Any]:
    prompt, completion = node["prompt_tokens"], node["completion_tokens"]
    return {
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


def log_task_trace(
    client: Any,
    experiment_id: str,
    run_id: str,
    task_id: str,
    nodes: Sequence[Mapping[str, Any]],
    cached: Sequence[bool | None],
    end_ns: int,
    wall_s: float | None = None,
) -> str | None:
    """Log the trace of the calls this run made for `task_id`; its trace id (None: no new calls).

    The trace spans the task's wall time `wall_s` (default: the calls' summed latencies), call i
    starting at i/n of it; a span lasts the call's recorded latency, or its share of the wall time
    when the model reports none (offline models answer in-process).
    """
    from mlflow.entities import SpanStatus, SpanStatusCode

    calls = [n for n in nodes if n["id"] < len(cached) and cached[n["id"]] is not None]
    if not calls:
        return None
    total_ns = int((wall_s if wall_s else sum(n["latency_s"] for n in calls)) * 1e9)
    slot = max(1, total_ns // len(calls))
    durations = [int(n["latency_s"] * 1e9) or slot for n in calls]
    start_ns = end_ns - max(total_ns, slot * len(calls))
    root = client.start_trace(
        name=f"task {task_id}",
        span_type="AGENT",
        inputs={"task_id": task_id},
        tags={TASK_ID_TAG: task_id},
        experiment_id=experiment_id,
        start_time_ns=start_ns,
        run_id=run_id,
    )
    last_end = end_ns
    for i, (node, duration) in enumerate(zip(calls, durations, strict=True)):
        t = start_ns + i * slot
        span = client.start_span(
            name=node["model"],
            trace_id=root.trace_id,
            parent_id=root.span_id,
            span_type="LLM",
            inputs={
                "model": node["model"],
                "parent_node": node["parent"],
                "prompt_hash": node["prompt_hash"],
            },
            attributes=_span_attributes(node, bool(cached[node["id"]])),
            start_time_ns=t,
        )
        failed = node["code"] is None  # the call failed or returned no program
        code = node["code"] or ""
        client.end_span(
            root.trace_id,
            span.span_id,
            outputs={
                "reward": node["reward"],
                "train_correct": node["train_correct"],
                "error": node["error"],
                "code": code[:CODE_PREVIEW_CHARS] + ("..." if len(code) > CODE_PREVIEW_CHARS else ""),
            },
            status=SpanStatus(SpanStatusCode.ERROR, node["error"] or "") if failed else "OK",
            end_time_ns=t + duration,
        )
        last_end = max(last_end, t + duration)
    best = max(n["reward"] for n in nodes)
    client.end_trace(root.trace_id, outputs={"best_reward": best, "calls": len(calls)}, end_time_ns=last_end)
    return root.trace_id
