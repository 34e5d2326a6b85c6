"""Scoring: Pass@k coverage, Pass@2, official and Kaggle scores, per-model usage."""

from abmcts.score.metrics import (
    correct_per_test,
    first_solving_call,
    kaggle_score,
    official_score,
    pass_at_2,
    pass_at_2_per_task,
    pass_at_k_curve,
    solves,
)
from abmcts.score.report import compute_metrics, headline, pass_at_k_rows
from abmcts.score.usage import ModelUsage, call_share_by_task, usage_by_model

__all__ = [
    "ModelUsage",
    "call_share_by_task",
    "compute_metrics",
    "correct_per_test",
    "first_solving_call",
    "headline",
    "kaggle_score",
    "official_score",
    "pass_at_2",
    "pass_at_2_per_task",
    "pass_at_k_curve",
    "pass_at_k_rows",
    "solves",
    "usage_by_model",
]
