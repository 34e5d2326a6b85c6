"""The feedback a refinement prompt carries comes from the parent node: outputs, per-grid errors,
and a fresh start when the parent has no program to refine."""

from __future__ import annotations

from abmcts.arc.prompts import PromptTemplates, messages_for, parse_prompt
from abmcts.arc.task import Pair, Task
from abmcts.experiment.runner import program_inputs, score_program
from abmcts.sandbox.pool import ExecResult

TASK = Task("t1", (Pair([[1, 2]], [[2, 1]]), Pair([[3, 4]], [[4, 3]])), ([[5, 6]],))
TEMPLATES = PromptTemplates(
    initial="INITIAL\n{examples}\n{test_inputs}",
    refinement="REFINE\n{examples}\n{test_inputs}\n{parent_code}\n{feedback}\n{parent_test_outputs}",
)


class HalfBrokenExecutor:
    """Flips the first grid, fails on the others, as a program with a bug would."""

    def run(self, code, grids, timeout_s=None):
        first = ExecResult([row[::-1] for row in grids[0]], None, None)
        return [first] + [ExecResult(None, "line 2: IndexError: boom", "runtime") for _ in grids[1:]]


def test_evaluate_program_keeps_every_grid_error():
    run = score_program(
        TASK, HalfBrokenExecutor().run("def transform(g): ...", program_inputs(TASK)), "exact"
    )
    assert run.train_correct == [True, False] and run.reward == 0.5
    assert run.errors == [None, "runtime: line 2: IndexError: boom", "runtime: line 2: IndexError: boom"]
    assert run.first_error == "runtime: line 2: IndexError: boom"


def test_refinement_prompt_shows_the_parent_errors_and_outputs():
    run = score_program(
        TASK, HalfBrokenExecutor().run("def transform(g): ...", program_inputs(TASK)), "exact"
    )
    parent = {
        "id": 3,
        "code": "def transform(g): ...",
        "train_outputs": run.train_outputs,
        "test_outputs": run.test_outputs,
        "exec_errors": run.errors,
    }
    text = messages_for(TASK, TEMPLATES, parent)[0]["content"]
    assert text.startswith("REFINE") and "IndexError: boom" in text
    parsed = parse_prompt(text)
    assert parsed.parent_code == "def transform(g): ..."
    assert parsed.parent_train_outputs == [[[2, 1]], None]


def test_a_parent_without_a_program_gets_a_fresh_start():
    parent = {
        "id": 0,
        "code": None,
        "train_outputs": [None, None],
        "test_outputs": [None],
        "exec_errors": None,
    }
    assert messages_for(TASK, TEMPLATES, parent) == messages_for(TASK, TEMPLATES, None)
    assert messages_for(TASK, TEMPLATES, None)[0]["content"].startswith("INITIAL")
