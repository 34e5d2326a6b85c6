"""Final-answer selection: strategies, two attempts per test input, submission files."""

from abmcts.select.apply import SelectionResult, select_all
from abmcts.select.attempts import FALLBACK_GRID, TestAttempts, attempts_for, plan_all, plan_attempts
from abmcts.select.strategy import (
    STRATEGIES,
    StrategyDef,
    get_strategy,
    rank_programs,
    select_programs,
    strategy_params,
)
from abmcts.select.submission import benchmarking_entries, write_benchmarking_submissions, write_submission

__all__ = [
    "FALLBACK_GRID",
    "STRATEGIES",
    "SelectionResult",
    "StrategyDef",
    "TestAttempts",
    "attempts_for",
    "benchmarking_entries",
    "get_strategy",
    "plan_all",
    "plan_attempts",
    "rank_programs",
    "select_all",
    "select_programs",
    "strategy_params",
    "write_benchmarking_submissions",
    "write_submission",
]
