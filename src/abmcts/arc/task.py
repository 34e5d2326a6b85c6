"""ARC task records and their validation; test outputs never live in a Task."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from abmcts.errors import InputError

Grid = list[list[int]]
MAX_SIDE = 30
# A task id names files (trees, submissions, tree pages): letters, digits, '_', '.', '-', never a
# path (no '/', no leading '.', no '..') nor markup.
TASK_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class TaskError(InputError):
    """An ARC task file is invalid; the message names file, task id, pair and reason."""


@dataclass(frozen=True)
class Pair:
    input: Grid
    output: Grid


@dataclass(frozen=True)
class Task:
    """What the search may see: demonstrations and test inputs only."""

    task_id: str
    train: tuple[Pair, ...]
    test_inputs: tuple[Grid, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "train": [{"input": p.input, "output": p.output} for p in self.train],
            "test": [{"input": g} for g in self.test_inputs],
        }


def grid_problem(grid: Any) -> str | None:
    """Why `grid` is not a valid ARC grid, or None if it is."""
    if not isinstance(grid, list) or not grid:
        return "grid must be a non-empty list of rows"
    if len(grid) > MAX_SIDE:
        return f"grid has {len(grid)} rows (max {MAX_SIDE})"
    width = None
    for r, row in enumerate(grid):
        if not isinstance(row, list) or not row:
            return f"row {r} must be a non-empty list"
        if width is None:
            width = len(row)
        elif len(row) != width:
            return f"ragged grid: row {r} has {len(row)} cells, row 0 has {width}"
        for c, v in enumerate(row):
            if type(v) is not int or not 0 <= v <= 9:
                return f"cell ({r},{c}) is {v!r}, must be an int 0..9"
    if width is not None and width > MAX_SIDE:
        return f"grid has {width} columns (max {MAX_SIDE})"
    return None


# byte value -> its digit for 0..9 and a non-digit for 10..255 (48..57 are digits as bytes: they must
# not pass through as they are)
_TO_DIGITS = b"0123456789" + b"x" * 246


def digit_rows(grid: Any) -> list[bytes] | None:
    """The rows of an ARC grid as ASCII digits, or None if it is not one: `grid_problem`'s checks at C
    speed (no Python step per cell), except that bools pass as 0/1. For bulk paths (tree files, caches)."""
    if type(grid) is not list or not 0 < len(grid) <= MAX_SIDE or any(type(r) is not list for r in grid):
        return None
    try:
        rows = [bytes(r).translate(_TO_DIGITS) for r in grid]  # TypeError / ValueError: not ints 0..255
    except (TypeError, ValueError):
        return None
    width = len(rows[0])
    if not 0 < width <= MAX_SIDE or any(len(r) != width or not r.isdigit() for r in rows):
        return None
    return rows


def plain_digit_rows(grid: Any) -> list[bytes] | None:
    """`digit_rows` of a grid whose cells are all plain ints (no bools, no int-like objects), or None:
    when it returns rows, `grid_problem(grid)` is None. A None does not say the grid is invalid
    (a subclass of list is checked only by `grid_problem`), so callers fall back to that."""
    rows = digit_rows(grid)
    if rows is None or any(set(map(type, row)) != {int} for row in grid):
        return None
    return rows


def validate_grid(grid: Any, where: str) -> Grid:
    problem = grid_problem(grid)
    if problem:
        raise TaskError(f"{where}: {problem}")
    return grid


def check_task_id(task_id: Any, source: str) -> str:
    """`task_id` if it is safe to use as a file name (`TASK_ID_PATTERN`), else TaskError naming it
    and `source`: every loader calls this, so no id from any data source becomes a path."""
    if not isinstance(task_id, str) or not TASK_ID_PATTERN.fullmatch(task_id) or ".." in task_id:
        raise TaskError(
            f"{source}: task id {task_id!r} is not allowed (1-128 letters, digits, '_', '.', '-', "
            "starting with a letter or digit, no '..')"
        )
    return task_id


def task_from_json(task_id: str, data: Any, source: str = "<memory>") -> tuple[Task, list[Grid] | None]:
    """Build a Task from ARC JSON and split off the test outputs (None if the file has none)."""
    check_task_id(task_id, source)
    where = f"{source}: task {task_id!r}"
    if not isinstance(data, dict):
        raise TaskError(f"{where}: expected an object with 'train' and 'test'")
    for key in ("train", "test"):
        if key not in data:
            raise TaskError(f"{where}: missing key {key!r}")
        if not isinstance(data[key], list) or not data[key]:
            raise TaskError(f"{where}: {key!r} must be a non-empty list of pairs")
    train = []
    for i, pair in enumerate(data["train"]):
        if not isinstance(pair, dict) or "input" not in pair or "output" not in pair:
            raise TaskError(f"{where}: train pair {i} needs 'input' and 'output'")
        train.append(
            Pair(
                validate_grid(pair["input"], f"{where} train pair {i} input"),
                validate_grid(pair["output"], f"{where} train pair {i} output"),
            )
        )
    tests, outputs = [], []
    for i, pair in enumerate(data["test"]):
        if not isinstance(pair, dict) or "input" not in pair:
            raise TaskError(f"{where}: test pair {i} needs 'input'")
        tests.append(validate_grid(pair["input"], f"{where} test pair {i} input"))
        if "output" in pair:
            outputs.append(validate_grid(pair["output"], f"{where} test pair {i} output"))
    solutions = outputs if len(outputs) == len(tests) else None
    return Task(task_id, tuple(train), tuple(tests)), solutions
