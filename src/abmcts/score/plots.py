"""Run figures as PNGs (each function returns the path it wrote): pass@k vs calls, model allocation per task, cost and tokens per model.

Data preparation is kept apart from drawing so it can be tested; matplotlib is imported lazily
(Agg backend) so importing this module costs nothing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmcts.io import atomic_write_bytes
from abmcts.score.usage import call_share_by_task, usage_by_model

Trees = Mapping[str, dict[str, Any]]


@dataclass(frozen=True)
class Allocation:
    """Share of calls per model (rows follow `models`) for each task (columns follow `task_ids`)."""

    task_ids: list[str]
    models: list[str]
    shares: list[list[float]]
    best_reward: list[float]


def allocation_data(trees: Trees) -> Allocation:
    """Call shares per task and model; tasks sorted by best reward (descending), then id."""
    per_task = call_share_by_task(trees)
    best = {tid: max((n["reward"] for n in tree["nodes"]), default=0.0) for tid, tree in trees.items()}
    task_ids = sorted(per_task, key=lambda tid: (-best[tid], tid))
    models = sorted({m for shares in per_task.values() for m in shares})
    shares = [[per_task[tid].get(m, 0.0) for tid in task_ids] for m in models]
    return Allocation(task_ids, models, shares, [best[tid] for tid in task_ids])


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike) -> Path:
    """Render to memory, then temp file + fsync + rename: a killed run never leaves half a PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def plot_pass_at_k(
    curves: Mapping[str, list[float]],
    path: str | os.PathLike,
    bands: Mapping[str, tuple[list[int], list[float], list[float]]] | None = None,
) -> Path:
    """One line per run/algorithm: coverage (pass@k) against the number of LLM calls k; `bands`
    (label -> ks, lows, highs) shades each curve's confidence interval."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, curve in curves.items():
        (line,) = ax.plot(range(1, len(curve) + 1), curve, label=label)
        if bands and label in bands:
            ks, lows, highs = bands[label]
            ax.fill_between(ks, lows, highs, color=line.get_color(), alpha=0.18, linewidth=0)
    ax.set_xlabel("LLM calls (k)")
    ax.set_ylabel("pass@k" + (" (shaded: 95% CI)" if bands else ""))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    if curves:
        ax.legend()
    return _save(fig, path)


def plot_model_allocation(trees: Trees, path: str | os.PathLike) -> Path:
    """Stacked bars: which models each task's calls went to, tasks ordered by best reward."""
    data = allocation_data(trees)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.12 * len(data.task_ids)), 4.5))
    x = range(len(data.task_ids))
    bottom = [0.0] * len(data.task_ids)
    for model, shares in zip(data.models, data.shares, strict=True):
        ax.bar(x, shares, bottom=bottom, width=1.0, label=model)
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    ax.set_xlabel("task (sorted by best reward, best first)")
    ax.set_ylabel("share of calls")
    ax.set_ylim(0, 1)
    if len(data.task_ids) <= 40:
        ax.set_xticks(list(x), data.task_ids, rotation=90, fontsize=6)
    if data.models:
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_cost(trees: Trees, path: str | os.PathLike) -> Path:
    """Per model: total cost (left) and prompt/completion tokens (right). A run that cost nothing
    (offline models) shows its calls on the left instead of empty axes around zero."""
    usage = usage_by_model(trees)
    names = list(usage)
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    if any(u.cost for u in usage.values()):
        left.bar(names, [u.cost for u in usage.values()])
        left.set_ylabel("cost (USD)")
    else:
        left.bar(names, [u.calls for u in usage.values()])
        left.set_ylabel("calls")
        left.set_title("no cost recorded (0 USD): calls per model", fontsize=9)
    prompt = [u.prompt_tokens for u in usage.values()]
    right.bar(names, prompt, label="prompt")
    right.bar(names, [u.completion_tokens for u in usage.values()], bottom=prompt, label="completion")
    right.set_ylabel("tokens")
    right.legend()
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    return _save(fig, path)


def plot_selection_comparison(
    scores: Mapping[str, Mapping[str, float]],
    path: str | os.PathLike,
    intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
) -> Path:
    """Grouped bars: one group per run, one bar per selection strategy (e.g. its pass@2), with
    error bars from `intervals` (run -> strategy -> (ci_low, ci_high)) where given."""
    plt = _pyplot()
    runs = list(scores)
    strategies = sorted({s for per_run in scores.values() for s in per_run})
    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 * len(runs) * max(1, len(strategies)) / 3), 4.5))
    width = 0.8 / max(1, len(strategies))
    for i, strategy in enumerate(strategies):
        xs = [r + i * width for r in range(len(runs))]
        values = [scores[run].get(strategy, 0.0) for run in runs]
        ax.bar(xs, values, width=width, label=strategy)
        if intervals:
            cis = [(intervals.get(run) or {}).get(strategy) for run in runs]
            err = [
                [v - ci[0] if ci else 0.0 for v, ci in zip(values, cis, strict=True)],
                [ci[1] - v if ci else 0.0 for v, ci in zip(values, cis, strict=True)],
            ]
            ax.errorbar(xs, values, yerr=err, fmt="none", ecolor="black", capsize=3, linewidth=1)
    ax.set_xticks([r + 0.4 - width / 2 for r in range(len(runs))], runs, rotation=20, ha="right", fontsize=7)
    ax.set_ylabel("pass@2" + (" (bars: 95% CI)" if intervals else ""))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3, axis="y")
    if strategies:
        ax.legend(fontsize=8)
    return _save(fig, path)
