"""Run one strategy over a whole run: per task one ranking, from it the two programs and the attempts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from abmcts.select.attempts import TestAttempts, attempts_from_ranking
from abmcts.select.candidates import Candidate
from abmcts.select.context import SelectionContext
from abmcts.select.judge import Judge
from abmcts.select.params import parse_params
from abmcts.select.ranker import training_task_ids
from abmcts.select.strategy import get_strategy, rank_programs
from abmcts.select.task_view import TaskView

log = logging.getLogger(__name__)


@dataclass
class SelectionResult:
    """`programs`: the two whole programs per task (Sakana-style pass@2); `plans`: attempts per test input."""

    programs: dict[str, list[int]]
    plans: dict[str, list[TestAttempts]]
    judge: dict[str, Any] | None
    ranker_in_sample: int = 0  # tasks the learned ranker was trained on (their score is not held out)

    def to_json(self) -> dict[str, Any]:
        return {
            "programs": self.programs,
            "judge": self.judge,
            "ranker_in_sample_tasks": self.ranker_in_sample,
        }


def select_all(
    trees: Mapping[str, dict[str, Any]],
    tasks: Mapping[str, Mapping[str, Any]],
    strategy: str,
    params: Mapping[str, Any] | None = None,
    judge: Judge | None = None,
    memo: dict[str, list[Candidate]] | None = None,
) -> SelectionResult:
    """Every task of `trees` (tasks: `tasks.json` entries, inputs only); the strategy ranks each tree once."""
    definition = get_strategy(strategy)
    parsed = parse_params(definition.params, params, "selection.params")
    programs, plans = {}, {}
    for task_id in sorted(trees):
        tree, data = trees[task_id], tasks[task_id]
        ctx = SelectionContext(TaskView.from_json(task_id, data), parsed, judge, memo)
        ranking = rank_programs(tree, strategy, ctx)
        programs[task_id] = ranking[:2]
        plans[task_id] = attempts_from_ranking(tree, ranking, len(data.get("test", [])))
    artifact = definition.artifact(parsed)
    in_sample = len(set(trees) & training_task_ids(artifact)) if artifact else 0
    if in_sample:
        log.warning(
            "learned ranker %s was trained on %d of these tasks: not a held-out score", artifact, in_sample
        )
    return SelectionResult(programs, plans, judge.usage.to_json() if judge is not None else None, in_sample)
