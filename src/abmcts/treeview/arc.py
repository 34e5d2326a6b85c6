"""ARC adapter: a task's tree file as ViewNodes (model rings, fresh/refine edges, demo grids)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from abmcts.arc.task import Grid, Task
from abmcts.score.metrics import solves
from abmcts.treeview.render import GridPanel, NodeDetail, ViewNode, render_tree_html

ATTEMPT_MARKS = ("A1", "A2")
SOLVES_TEST = "test\u2713"
LEGEND = {"A1": "first selected answer", "A2": "second selected answer", SOLVES_TEST: "solves the test"}


def chosen_nodes(attempts: Sequence[Mapping[str, Any]] | None) -> dict[int, str]:
    """Node id -> mark for the selected attempts (`attempts.json` entries of one task)."""
    marks: dict[int, str] = {}
    for entry in attempts or []:
        for key, mark in zip(("node_1", "node_2"), ATTEMPT_MARKS, strict=True):
            node_id = entry.get(key)
            if isinstance(node_id, int):
                marks.setdefault(node_id, mark)
    return marks


def _facts(node: Mapping[str, Any], cached: bool | None) -> tuple[tuple[str, str], ...]:
    facts = [
        ("model", node["model"]),
        ("reward", f"{node['reward']:.3f}"),
        ("train demos solved", f"{sum(node['train_correct'])}/{len(node['train_correct'])}"),
        ("tokens (prompt / completion)", f"{node['prompt_tokens']} / {node['completion_tokens']}"),
        ("cost (USD)", f"{node['cost']:.6f}"),
        ("latency (s)", f"{node['latency_s']:.3f}"),
    ]
    if cached is not None:
        facts.append(("cached response", "yes" if cached else "no"))
    facts.append(("error", node["error"] or "none"))
    for i, err in enumerate(node.get("exec_errors") or []):
        if err:
            facts.append((f"run error (input {i + 1})", err))
    return tuple(facts)


def tree_view_nodes(
    tree: Mapping[str, Any],
    task: Task,
    attempts: Sequence[Mapping[str, Any]] | None = None,
    solutions: Sequence[Grid] | None = None,
    cached: Sequence[bool | None] | None = None,
) -> list[ViewNode]:
    """One ViewNode per tree node; `solutions` (score stage only) adds the expected test grids and
    marks the nodes whose program solves every test input."""
    chosen = chosen_nodes(attempts)
    view = []
    for node in tree["nodes"]:
        panels = [
            GridPanel(f"demo {i + 1}", out, pair.output)
            for i, (pair, out) in enumerate(zip(task.train, node["train_outputs"], strict=False))
        ]
        tests = node["test_outputs"]
        for i in range(len(task.test_inputs)):
            want = solutions[i] if solutions is not None and i < len(solutions) else None
            panels.append(GridPanel(f"test {i + 1}", tests[i] if i < len(tests) else None, want))
        marks = [chosen[node["id"]]] if node["id"] in chosen else []
        if solutions is not None and solves(node, solutions):
            marks.append(SOLVES_TEST)
        flag = cached[node["id"]] if cached is not None and node["id"] < len(cached) else None
        view.append(
            ViewNode(
                id=node["id"],
                parent=node["parent"],
                score=node["reward"] if node["code"] is not None else None,
                group=node["model"],
                edge="fresh" if node["parent"] is None else "refine",
                label=f"#{node['id']} {node['model']} reward {node['reward']:.2f}",
                marks=tuple(marks),
                detail=NodeDetail(code=node["code"], facts=_facts(node, flag), grids=tuple(panels)),
            )
        )
    return view


def render_task_tree(
    tree: Mapping[str, Any],
    task: Task,
    attempts: Sequence[Mapping[str, Any]] | None = None,
    solutions: Sequence[Grid] | None = None,
    cached: Sequence[bool | None] | None = None,
    run: str = "",
) -> str:
    """The task's tree page (see `tree_view_nodes`)."""
    nodes = tree_view_nodes(tree, task, attempts, solutions, cached)
    best = max((n["reward"] for n in tree["nodes"]), default=0.0)
    subtitle = f"{run} · {tree.get('algorithm', '?')} · best train reward {best:.2f}"
    legend = {k: v for k, v in LEGEND.items() if k != SOLVES_TEST or solutions is not None}
    return render_tree_html(
        nodes,
        f"task {task.task_id}",
        subtitle=subtitle.strip(" ·"),
        legend=legend,
        root_label=task.task_id,
        side_hint="Click a node to see its code, outputs and call.",
    )
