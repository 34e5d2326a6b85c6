"""The ARC tree page replays the search in call order: one timeline step per model call."""

from __future__ import annotations

import json
import re

from abmcts.arc.task import Pair, Task
from abmcts.treeview.arc import render_task_tree


def _node(i: int, parent: int | None, reward: float) -> dict:
    return {
        "id": i, "parent": parent, "model": "m<1>" if i % 2 else "m2", "reward": reward,
        "code": f"def p(g):\n    return g  # call {i} </script><script>alert(1)</script>",
        "train_outputs": [[[1]]], "test_outputs": [[[1]]], "train_correct": [reward == 1.0],
        "prompt_tokens": 1, "completion_tokens": 1, "cost": 0.0, "latency_s": 0.1, "error": None,
    }  # fmt: skip


def test_arc_page_timeline_follows_call_order():
    task = Task("t1", (Pair([[0]], [[1]]),), ([[0]],))
    nodes = [_node(0, None, 0.0), _node(1, 0, 0.5), _node(2, None, 0.2), _node(3, 1, 1.0)]
    page = render_task_tree({"algorithm": "ab_mcts_a", "nodes": nodes}, task, run="r")
    steps = dict(re.findall(r'<g class="node[^"]*" data-id="(\d+)" data-t="(\d+)"', page))
    assert steps == {"0": "1", "1": "2", "2": "3", "3": "4"}  # node id = call index = timeline step
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)[1])
    assert data["order"] == [0, 1, 2, 3]
    assert 'max="4"' in page and "<script>alert" not in page
    assert "Click a node to see its code, outputs and call." in page  # an ARC node has all three
