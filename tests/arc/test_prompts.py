"""Prompts render the task faithfully and parse back, whatever the template wording."""

from pathlib import Path

import numpy as np
import pytest

from abmcts.arc.prompts import (
    PromptTemplates,
    _shown_grid,
    grid_text,
    parse_prompt,
    prompt_hash,
    render_initial,
    render_refinement,
)
from abmcts.arc.task import Pair, Task, grid_problem, plain_digit_rows
from abmcts.errors import ConfigError, InputError

CONF = Path(__file__).resolve().parents[2] / "conf" / "prompts" / "default.yaml"


@pytest.fixture()
def task() -> Task:
    return Task(
        "t1",
        (
            Pair([[1, 0], [0, 2]], [[2, 0], [0, 1]]),
            Pair([[3, 3, 3]], [[3], [3], [3]]),
        ),
        ([[9, 8], [7, 6], [5, 4]], [[0]]),
    )


@pytest.fixture()
def templates() -> PromptTemplates:
    return PromptTemplates.from_yaml(CONF)


def test_initial_round_trip(task, templates):
    text = render_initial(task, templates)
    parsed = parse_prompt(text)
    assert parsed.train == list(task.train)
    assert parsed.test_inputs == list(task.test_inputs)
    assert parsed.parent_code is None and parsed.parent_train_outputs is None
    assert "0 black" in text and "8 azure" in text and "```python" in text and "transform(" in text


def test_refinement_round_trip_with_errors(task, templates):
    code = "def transform(grid):\n    return grid\n"
    text = render_refinement(
        task,
        templates,
        code,
        [[[2, 0], [0, 1]], None],
        [[[1]], None],
        train_errors=[None, "ZeroDivisionError:\n division by zero"],
    )
    parsed = parse_prompt(text)
    assert parsed.train == list(task.train)
    assert parsed.test_inputs == list(task.test_inputs)
    assert parsed.parent_code.strip() == code.strip()
    assert parsed.parent_train_outputs == [[[2, 0], [0, 1]], None]
    assert "Example 1: correct" in text and "Example 2: wrong" in text
    assert "correct for 1 of 2" in text and "ZeroDivisionError: division by zero" in text
    assert "Your output on test input 1" in text and "failed on test input 2" in text


def test_parse_ignores_template_wording(task):
    t = PromptTemplates(
        initial="X {examples} Y {test_inputs}",
        refinement="{examples}{test_inputs}{parent_code}{feedback}{parent_test_outputs}",
    )
    parsed = parse_prompt(render_initial(task, t))
    assert parsed.train == list(task.train)
    wrong_only = render_refinement(task, t, "def transform(g):\n    return g", [[[0]], [[1]]], [[[1]], [[1]]])
    assert parse_prompt(wrong_only).parent_train_outputs == [[[0]], [[1]]]


def test_templates_validation():
    with pytest.raises(ConfigError, match="unknown placeholder"):
        PromptTemplates(initial="{examples}{test_inputs}{bogus}", refinement="")
    with pytest.raises(ConfigError, match="missing placeholder"):
        PromptTemplates.from_dict({"initial": "{examples}", "refinement": "x"})
    with pytest.raises(ConfigError, match="unknown key"):
        PromptTemplates.from_dict({"initial": "", "refinement": "", "extra": ""})


def test_parse_errors_are_clear():
    with pytest.raises(InputError, match="never closed"):
        parse_prompt("<input>\n1 2\n")
    with pytest.raises(InputError, match="example 1 input"):
        parse_prompt("<input>\n1 x\n</input>\n<output>\n1\n</output>\n<test_input>\n1\n</test_input>")
    with pytest.raises(InputError, match="no test input"):
        parse_prompt("<input>\n1\n</input>\n<output>\n1\n</output>")


def test_render_refinement_checks_lengths(task, templates):
    with pytest.raises(InputError, match="t1"):
        render_refinement(task, templates, "x", [None], [None, None])


def test_prompt_hash_stable_and_sensitive():
    a = [{"role": "user", "content": "hi"}]
    assert prompt_hash(a) == prompt_hash([{"content": "hi", "role": "user"}])
    assert prompt_hash(a) != prompt_hash([{"role": "user", "content": "hi!"}])
    assert len(prompt_hash(a)) == 16


def _cell_by_cell(grid) -> str:
    return "\n".join(" ".join(str(v) for v in row) for row in grid)


class _Rows(list):
    pass


GRIDS = [
    [[1, 0], [0, 2]],
    [[9] * 30] * 30,
    [[True, 0], [1, 2]],  # bools print as True/False, as str() does
    [[np.int64(3), 4]],
    [[10, 2]],
    [[1, 2], [3]],
    _Rows([[1, 2]]),
    [[-1]],
    [[]],
]


@pytest.mark.parametrize("grid", GRIDS, ids=range(len(GRIDS)))
def test_grid_text_fast_path_gives_the_cell_by_cell_text(grid):
    assert grid_text(grid) == _cell_by_cell(grid)


@pytest.mark.parametrize("grid", [*GRIDS, [], None, [[1], "2"], [[1.0]], [[1] * 31], [[1]] * 31])
def test_a_parent_output_is_shown_exactly_when_grid_problem_finds_nothing(grid):
    shown = _shown_grid(grid)
    assert (shown is not None) is (grid_problem(grid) is None)
    if shown is not None:
        assert shown == _cell_by_cell(grid)
    if plain_digit_rows(grid) is not None:
        assert grid_problem(grid) is None


def test_random_grids_render_as_cell_by_cell():
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = rng.integers(1, 31, size=2)
        grid = rng.integers(0, 10, size=(h, w)).tolist()
        assert grid_text(grid) == _cell_by_cell(grid)


def test_task_text_is_rendered_per_task_object(task, templates):
    """The task's part of a prompt is kept between calls; another task (even one made in its old
    place in memory) gets its own."""
    first = render_initial(task, templates)
    assert render_initial(task, templates) == first
    other = Task(task.task_id, (Pair([[5]], [[6]]),), ([[7]],))
    text = render_initial(other, templates)
    assert parse_prompt(text).train == [Pair([[5]], [[6]])]
    for _ in range(300):  # past the cache's limit: old entries go, renders stay right
        fresh = Task("t", (Pair([[1]], [[2]]),), ([[3]],))
        assert parse_prompt(render_initial(fresh, templates)).test_inputs == [[[3]]]
    assert render_initial(task, templates) == first


def test_refinement_shows_each_example_its_own_expected_output(task, templates):
    text = render_refinement(task, templates, "def transform(g):\n    return g", [[[0]], None], [None, None])
    parsed = parse_prompt(text)
    assert [p.output for p in parsed.train] == [p.output for p in task.train]
