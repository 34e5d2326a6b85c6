"""Everything a strategy gets besides the tree: the task view, its validated params, a judge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from abmcts.arc.node import TreeNode
from abmcts.select.candidates import Candidate, candidates
from abmcts.select.task_view import TaskView

if TYPE_CHECKING:
    from abmcts.select.judge import Judge


@dataclass
class SelectionContext:
    """What a strategy may use besides the nodes; `params` is an instance of its params dataclass.

    `memo` (task id -> candidates) lets a caller that runs many strategies over the same trees (the
    bench) build each tree's candidates once.
    """

    task: TaskView | None = None
    params: Any = None
    judge: Judge | None = None  # set when the strategy needs a judge model
    memo: dict[str, list[Candidate]] | None = None

    def candidates(self, nodes: list[TreeNode]) -> list[Candidate]:
        if self.memo is None or self.task is None:
            return candidates(nodes, self.task)
        if self.task.task_id not in self.memo:
            self.memo[self.task.task_id] = candidates(nodes, self.task)
        return self.memo[self.task.task_id]
