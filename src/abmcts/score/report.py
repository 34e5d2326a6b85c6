"""One metrics.json dict per run, plus the pass@k curve as DVC plot rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from abmcts.score.metrics import Solutions, Trees, kaggle_score, official_score, pass_at_2, pass_at_k_curve
from abmcts.score.usage import ModelUsage, usage_by_model

HEADLINE_K = (1, 10, 50, 100, 250)
# The metrics a person compares runs by: printed after the score stage, columns of a comparison.
SUMMARY_KEYS = ("pass_at_2", "official_score", "kaggle_score", "n_tasks", "calls", "cost")
SELECTION_USAGE_KEYS = ("calls", "cached", "capped", "prompt_tokens", "completion_tokens", "tokens", "cost")


def headline(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The few numbers that compare runs at a glance (`summary.json`, DVC's metrics file):
    pass@k at the budget, pass@2, the official score, calls and what they cost (search + judge)."""
    curve = metrics["pass_at_k_curve"]
    return {
        "pass_at_budget": float(curve[-1]) if curve else 0.0,
        "pass_at_2": float(metrics["pass_at_2"]),
        "official_score": float(metrics["official_score"]),
        "calls": int(metrics["calls"]),
        "cost_usd": float(metrics["total_cost"]),
    }


def pass_at_k_rows(curve: list[float]) -> list[dict[str, float]]:
    """`[{"k": 1, "pass_at_k": v}, ...]`: the shape `dvc plots` reads from a JSON file."""
    return [{"k": k, "pass_at_k": v} for k, v in enumerate(curve, start=1)]


def compute_metrics(
    trees: Trees,
    attempts: Mapping[str, Any],
    solutions: Solutions,
    budget: int,
    selection: Mapping[str, Any],
) -> dict[str, Any]:
    """Every reported number for one run; usage counts only tasks being scored.

    `selection` is the select stage's `selection.json`: the two programs per task and the judge's
    usage (calls, tokens, cost), reported apart from the search's and added into `total_cost`.
    """
    judge = selection.get("judge") or {}
    curve = pass_at_k_curve(trees, solutions, budget)
    scored = {tid: tree for tid, tree in trees.items() if tid in solutions}
    per_model = usage_by_model(scored)
    total = ModelUsage()
    for usage in per_model.values():
        total.calls += usage.calls
        total.prompt_tokens += usage.prompt_tokens
        total.completion_tokens += usage.completion_tokens
        total.cost += usage.cost
    return {
        "pass_at_k": {str(k): curve[k - 1] for k in sorted({*HEADLINE_K, budget}) if 1 <= k <= budget},
        "pass_at_k_curve": curve,
        "pass_at_2": pass_at_2(trees, solutions, selection.get("programs") or {}),
        "official_score": official_score(attempts, solutions),
        "kaggle_score": kaggle_score(attempts, solutions),
        "n_tasks": len(solutions),
        "calls": total.calls,
        "prompt_tokens": total.prompt_tokens,
        "completion_tokens": total.completion_tokens,
        "tokens": total.prompt_tokens + total.completion_tokens,
        "cost": total.cost,
        "selection_usage": {k: judge.get(k, 0) for k in SELECTION_USAGE_KEYS},
        "total_cost": total.cost + float(judge.get("cost") or 0.0),
        "ranker_in_sample_tasks": int(selection.get("ranker_in_sample_tasks") or 0),
        "per_model": {
            name: {**usage.to_json(), "call_share": usage.calls / total.calls if total.calls else 0.0}
            for name, usage in per_model.items()
        },
    }
