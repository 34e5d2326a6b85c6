"""A tree's answers as candidates: one per distinct test-output tuple, with the evidence behind it.

Programs that give the same test outputs are one answer, so evidence is pooled per answer: how well
its programs fit the demonstrations, how many were found independently (different models, different
root lineages), how early, how short, and how plausible the outputs look against the demonstrations.
Nothing here reads a test output's correctness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from abmcts.arc.node import TreeNode
from abmcts.select.plausibility import CHECKS, Relations, plausibility
from abmcts.select.task_view import TaskView
from abmcts.select.trees import OutputsKeys, has_answer

FEATURES = (
    "reward",
    "reward_gap",
    "log_programs",
    "models",
    "log_lineages",
    "first_found",
    "last_found",
    "log_code_chars",
    "min_depth",
    *(f"plaus_{name}" for name in CHECKS),
)


@dataclass
class Candidate:
    """One distinct answer; `node_id` (its best-reward, latest program) stands for it."""

    key: str
    node_id: int
    nodes: list[TreeNode]
    features: dict[str, float] = field(default_factory=dict)

    @property
    def reward(self) -> float:
        return self.features["reward"]

    @property
    def test_outputs(self) -> list:
        return self.nodes[0]["test_outputs"]

    def vector(self) -> list[float]:
        return [self.features[name] for name in FEATURES]


def lineage(nodes: list[TreeNode]) -> tuple[dict[int, int], dict[int, int]]:
    """node id -> id of its root ancestor, and node id -> depth (roots have depth 0)."""
    root: dict[int, int] = {}
    depth: dict[int, int] = {}
    for node in sorted(nodes, key=lambda n: n["id"]):  # a parent always has a smaller id
        parent = node.get("parent")
        if parent is None or parent not in root:
            root[node["id"]], depth[node["id"]] = node["id"], 0
        else:
            root[node["id"]], depth[node["id"]] = root[parent], depth[parent] + 1
    return root, depth


def candidates(all_nodes: list[TreeNode], task: TaskView | None) -> list[Candidate]:
    """The answered programs grouped by test outputs, each group with its feature values.

    `all_nodes` is the whole tree (lineage needs the unanswered parents too).
    """
    root, depth = lineage(all_nodes)
    answered = [n for n in all_nodes if has_answer(n)]
    if not answered:
        return []
    size = max(len(all_nodes), 1)
    best = max(n["reward"] for n in answered)
    groups: dict[str, list[TreeNode]] = {}
    key_of = OutputsKeys()
    for node in answered:
        groups.setdefault(key_of(node), []).append(node)
    rel: Relations | None = None
    tests: list[np.ndarray] = []
    if task is not None:
        demos, tests = task.arrays()
        rel = Relations.of(demos)
    result = []
    for key, members in groups.items():
        rep = max(members, key=lambda n: (n["reward"], n["id"]))
        reward = rep["reward"]
        top = [n for n in members if n["reward"] == reward]
        plaus = (
            plausibility(rel, tests, rep["test_outputs"]) if rel is not None else dict.fromkeys(CHECKS, 1.0)
        )
        features = {
            "reward": reward,
            "reward_gap": best - reward,
            "log_programs": math.log1p(len(top)),
            "models": float(len({n["model"] for n in top})),
            "log_lineages": math.log1p(len({root[n["id"]] for n in top})),
            "first_found": min(n["id"] for n in top) / size,
            "last_found": max(n["id"] for n in top) / size,
            "log_code_chars": math.log1p(min(len(n.get("code") or "") for n in top)),
            "min_depth": float(min(depth[n["id"]] for n in top)),
            **{f"plaus_{name}": value for name, value in plaus.items()},
        }
        result.append(Candidate(key, rep["id"], members, features))
    return result
