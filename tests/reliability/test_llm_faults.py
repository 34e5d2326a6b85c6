"""LLM faults through the whole pipeline: a search against a server that fails most requests
finishes, records every failure on its node, and spends its budget on nodes, not on retries."""

from __future__ import annotations

import json

from project_helpers import read_tree
from rel_helpers import MAX_RETRIES, RETRY_AFTER_S, cache_rows

SUCCESS = ("ok", "nocode")  # the server answered with text (a node without code is still a node)
# The error kind a node records when its last attempt met each fault (litellm's exception names).
LAST_FAULT_KIND = {
    "429": "RateLimitError",
    "500": "InternalServerError",
    "slow": "Timeout",
    "empty": "EmptyContent",
    "truncated": None,  # any error: litellm reports a cut-off body under a varying name
}


def _tree(run) -> dict:
    (path,) = sorted(run.root.glob("runs/*/trees/*.json"))
    return read_tree(path)


def _expected_attempts(outcomes: list[str], n_calls: int) -> list[list[str]]:
    """Replay the client's retry rule over the server's log: retry a failure up to MAX_RETRIES times."""
    pos, calls = 0, []
    for _ in range(n_calls):
        attempts = []
        while pos < len(outcomes):
            attempts.append(outcomes[pos])
            pos += 1
            if attempts[-1] in SUCCESS or len(attempts) == MAX_RETRIES + 1:
                break
        calls.append(attempts)
    assert pos == len(outcomes), f"server saw {len(outcomes) - pos} requests that made no node"
    return calls


def test_pipeline_completes_under_heavy_faults(fault_run):
    assert fault_run.returncode == 0, fault_run.stderr[-3000:]
    assert "Traceback" not in fault_run.stderr
    tree = _tree(fault_run)
    assert tree["complete"] and len(tree["nodes"]) == 12
    # the test really met every kind of fault, and retries (more requests than fault/a nodes)
    assert set(fault_run.outcomes) == {"ok", "nocode", "429", "500", "slow", "truncated", "empty"}
    metrics = json.loads(next(fault_run.root.glob("runs/*/sakana/metrics.json")).read_text())
    assert metrics["calls"] == 12 and metrics["n_tasks"] == 1


def test_every_failure_is_a_node_with_its_error_and_zero_reward(fault_run):
    nodes = [n for n in _tree(fault_run)["nodes"] if n["model"] == "fault/a"]
    calls = _expected_attempts(fault_run.outcomes, len(nodes))
    assert any(c[-1] not in SUCCESS for c in calls), "no call exhausted its retries"
    for node, attempts in zip(nodes, calls, strict=True):
        last = attempts[-1]
        if last == "ok":
            assert node["code"] and node["error"] is None, node
        elif last == "nocode":
            assert node["code"] is None and node["error"].startswith("no_code:"), node
            assert node["reward"] == 0.0
        else:
            assert node["code"] is None and node["reward"] == 0.0, node
            assert node["error"], node
            kind = LAST_FAULT_KIND[last]
            assert kind is None or node["error"].startswith(kind), (last, node["error"])
            assert node["train_outputs"] == [None] * len(node["train_outputs"])


def test_budget_counts_model_calls_not_retries(fault_run):
    """Budget 12 = 12 nodes, while the servers saw more requests: retries made no nodes."""
    nodes = _tree(fault_run)["nodes"]
    assert [n["id"] for n in nodes] == list(range(12))
    fault_nodes = [n for n in nodes if n["model"] == "fault/a"]
    echo_nodes = [n for n in nodes if n["model"] == "echo/b"]
    assert len(fault_nodes) + len(echo_nodes) == 12
    assert len(fault_run.outcomes) > len(fault_nodes)  # retries happened
    # a 401 is permanent: one request per echo/b node, never retried
    assert echo_nodes and fault_run.echo_requests == len(echo_nodes)
    assert all(n["error"].startswith("AuthenticationError") and n["reward"] == 0.0 for n in echo_nodes)


def test_cache_stores_only_answered_calls(fault_run):
    summary = json.loads(next(fault_run.root.glob("runs/*/search_summary.json")).read_text())
    answered = sum(o in SUCCESS for o in fault_run.outcomes)
    assert summary["calls"] == 12
    assert summary["cache"] == {"hits": 0, "misses": 12, "writes": answered}
    assert cache_rows(fault_run.root / "cache/responses.sqlite") == answered


def test_retry_after_is_honoured(fault_run):
    """After a 429 that was not a call's last attempt, the retry waits at least Retry-After."""
    nodes = [n for n in _tree(fault_run)["nodes"] if n["model"] == "fault/a"]
    calls = _expected_attempts(fault_run.outcomes, len(nodes))
    pos, checked = 0, 0
    for attempts in calls:
        for i, outcome in enumerate(attempts[:-1]):
            if outcome == "429":
                gap = fault_run.times[pos + i + 1] - fault_run.times[pos + i]
                assert gap >= RETRY_AFTER_S * 0.95, gap
                checked += 1
        pos += len(attempts)
    assert checked >= 1
