"""A TaskSearch on a tiny task with fake model and sandbox, for runner and tree-file tests."""

from __future__ import annotations

import hashlib

from abmcts.arc.prompts import PromptTemplates
from abmcts.arc.task import Pair, Task
from abmcts.experiment.config import SearchConfig
from abmcts.experiment.runner import TaskSearch
from abmcts.llm.spec import Completion
from abmcts.sandbox.pool import ExecResult

TASK = Task("t1", (Pair([[1, 2]], [[2, 1]]), Pair([[3, 4]], [[4, 3]])), ([[5, 6]],))
TEMPLATES = PromptTemplates(
    initial="{examples}\n{test_inputs}",
    refinement="{examples}\n{test_inputs}\n{parent_code}\n{feedback}\n{parent_test_outputs}",
)


class FakeClient:
    """Answers with a program that depends only on the request (like a cached model), so nodes differ."""

    def __init__(self) -> None:
        self.calls = 0

    async def acomplete_many(self, requests, task=None):
        out = []
        for model, messages, index in requests:
            self.calls += 1
            tag = f"{model} {index} {len(messages[0]['content'])}"
            code = f"def transform(g):\n    return [row[::-1] for row in g]  # {tag}\n"
            out.append(Completion(f"```python\n{code}```", 10, 5, 0.0, 0.0))
        return out


class FlipExecutor:
    timeout_s = 2.0

    def run(self, code, grids, timeout_s=None):
        return [ExecResult([row[::-1] for row in g], None, None) for g in grids]


class VariedExecutor:
    """Per program (by its code): flips the grids, returns them unchanged, or fails on every grid."""

    timeout_s = 2.0

    def run(self, code, grids, timeout_s=None):
        kind = int(hashlib.sha256(code.encode()).hexdigest(), 16) % 3
        if kind == 2:
            return [ExecResult(None, "boom", "runtime") for _ in grids]
        return [ExecResult([row[::-1] for row in g] if kind else g, None, None) for g in grids]


def search(tmp_path, executor=None, seed=0, provenance=None, **settings) -> TaskSearch:
    return TaskSearch(
        TASK,
        SearchConfig(**{"algorithm": "ab_mcts_m", "budget": 12, "checkpoint_min_s": 0.0, **settings}),
        FakeClient(),
        ["m1", "m2"],
        executor or FlipExecutor(),
        TEMPLATES,
        tmp_path / "t1.json",
        seed=seed,
        provenance=provenance,
    )
