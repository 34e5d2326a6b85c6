"""Train the `learned_ranker` model: a conditional logit over each task's best answers.

Per task, the candidates (distinct answers) within `DEFAULT_SLACK` of the best reward compete; at
most one of them is the right answer. The model maximises the softmax probability of the right one (tasks whose tier
holds no right answer or a single candidate carry no ranking signal and are skipped), with an L2
penalty, by plain gradient descent on standardised features (numpy only: 14 features, a few
hundred tasks). Labels come from the split's solutions, so this runs only on a training split;
`cross_validate` gives honest numbers on that split itself (task folds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from abmcts.select.candidates import FEATURES, Candidate
from abmcts.select.context import SelectionContext
from abmcts.select.ranker import ARTIFACT_VERSION, LinearModel
from abmcts.select.task_view import TaskView

# Candidates within this much of the best reward compete (and are ranked by the model): a third
# covers "fails one of three demonstrations". Chosen by 5-fold CV on ARC-AGI-1 training only
# (0, 0.2, 0.35, 0.5, 1 gave 82.3, 82.7, 83.3, 83.3, 82.7 of 400 over three fold seeds).
DEFAULT_SLACK = 0.35


@dataclass
class TaskGroups:
    """One task's competing candidates: feature matrix and the index of the right one (or None)."""

    task_id: str
    x: np.ndarray
    node_ids: list[int]
    positive: int | None


def task_groups(
    trees: Mapping[str, dict[str, Any]],
    tasks: Mapping[str, Mapping[str, Any]],
    solutions: Mapping[str, Sequence[Any]] | None,
    memo: dict[str, list[Candidate]] | None = None,
    slack: float = 0.0,
) -> list[TaskGroups]:
    """The candidates within `slack` of each tree's best reward; `positive` only with solutions."""
    out = []
    for task_id in sorted(trees):
        ctx = SelectionContext(TaskView.from_json(task_id, tasks[task_id]), memo=memo)
        cands = ctx.candidates(trees[task_id]["nodes"])
        if not cands:
            continue
        best = max(c.reward for c in cands)
        tier = [c for c in cands if c.reward >= best - slack]
        expected = list(solutions[task_id]) if solutions is not None else None
        pos = next(
            (k for k, c in enumerate(tier) if expected is not None and c.test_outputs == expected), None
        )
        x = np.array([c.vector() for c in tier], dtype=float)
        out.append(TaskGroups(task_id, x, [c.node_id for c in tier], pos))
    return out


def fit(
    groups: list[TaskGroups], features: Sequence[str] = FEATURES, l2: float = 1.0, steps: int = 2000
) -> LinearModel:
    """Conditional-logit weights on standardised features (a bias is irrelevant within a task: 0)."""
    usable = [g for g in groups if g.positive is not None and len(g.node_ids) > 1]
    if not usable:
        raise ValueError("no training task has two or more best-reward answers with a right one among them")
    cols = [FEATURES.index(f) for f in features]
    stacked = np.vstack([g.x[:, cols] for g in usable])
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0)
    scale[scale < 1e-9] = 1.0
    width = max(len(g.node_ids) for g in usable)
    x = np.zeros((len(usable), width, len(cols)))  # tasks x candidates x features, padded
    mask = np.zeros((len(usable), width), dtype=bool)
    for t, g in enumerate(usable):
        x[t, : len(g.node_ids)] = (g.x[:, cols] - mean) / scale
        mask[t, : len(g.node_ids)] = True
    target = x[np.arange(len(usable)), [g.positive for g in usable if g.positive is not None]]
    w = np.zeros(len(cols))
    for _ in range(steps):
        z = np.where(mask, x @ w, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = l2 * w / len(usable) - (target - np.einsum("tk,tkf->tf", p, x)).mean(axis=0)
        w -= 0.5 * grad
    return LinearModel(tuple(features), tuple(mean.tolist()), tuple(scale.tolist()), tuple(w.tolist()), 0.0)


def picks(model: LinearModel, g: TaskGroups, n: int = 2) -> list[int]:
    """Indices of the model's top `n` candidates (ties to the later node, as Sakana)."""
    cols = [FEATURES.index(f) for f in model.features]
    scores = [model.logit(list(row)) for row in g.x[:, cols]]
    order = sorted(range(len(scores)), key=lambda k: (-scores[k], -g.node_ids[k]))
    return order[:n]


def cross_validate(
    groups: list[TaskGroups], folds: int = 5, seed: int = 0, **fit_args: Any
) -> dict[str, bool]:
    """Task -> is the right answer among the top two, each task ranked by a model not trained on it."""
    ids = sorted(g.task_id for g in groups)
    rng = np.random.default_rng(seed)
    fold_of = {tid: k % folds for k, tid in enumerate(rng.permutation(ids))}
    hit = {}
    for k in range(folds):
        model = fit([g for g in groups if fold_of[g.task_id] != k], **fit_args)
        for g in groups:
            if fold_of[g.task_id] == k:
                hit[g.task_id] = g.positive is not None and g.positive in picks(model, g)
    return hit


def training_set_hash(tree_texts: Mapping[str, bytes], tasks_text: bytes) -> str:
    """SHA-256 over the tasks file and every tree file (by task id): what the model was trained on."""
    h = hashlib.sha256(hashlib.sha256(tasks_text).hexdigest().encode())
    for task_id in sorted(tree_texts):
        h.update(f"\n{task_id} {hashlib.sha256(tree_texts[task_id]).hexdigest()}".encode())
    return h.hexdigest()


def artifact(model: LinearModel, training: dict[str, Any], cv: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "learned_ranker",
        "version": ARTIFACT_VERSION,
        "model": model.to_json(),
        "training": training,
        "cv": cv,
    }


def train_artifact(
    trees: Mapping[str, dict[str, Any]],
    tasks: Mapping[str, Mapping[str, Any]],
    solutions: Mapping[str, Sequence[Any]],
    tree_texts: Mapping[str, bytes],
    tasks_text: bytes,
    described: str,
    l2: float = 1.0,
    slack: float = DEFAULT_SLACK,
) -> dict[str, Any]:
    """The artifact JSON: model fitted on every task, 5-fold task cross-validation, provenance."""
    groups = task_groups(trees, tasks, solutions, slack=slack)
    model = fit(groups, l2=l2)
    hits = cross_validate(groups, l2=l2)
    usable = [g for g in groups if g.positive is not None and len(g.node_ids) > 1]
    training = {
        "data": described,
        "objective": "conditional logit over each task's answers within reward_slack of its best reward, "
        "L2 on standardised features",
        "l2": l2,
        "reward_slack": slack,
        "n_tasks": len(trees),
        "n_ranking_tasks": len(usable),
        "training_set_sha256": training_set_hash(tree_texts, tasks_text),
        "task_ids": sorted(trees),
    }
    cv = {"folds": 5, "seed": 0, "top2_hit_rate": sum(hits.values()) / max(len(hits), 1), "tasks": len(hits)}
    return artifact(model, training, cv)
