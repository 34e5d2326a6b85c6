"""Reward of a program: how well its outputs match the demonstration outputs."""

from __future__ import annotations

from abmcts.arc.task import Grid
from abmcts.errors import InputError

KINDS = ("exact", "partial")


def _cell_accuracy(output: Grid | None, expected: Grid) -> float:
    if output is None or len(output) != len(expected):
        return 0.0
    if any(len(row) != len(exp_row) for row, exp_row in zip(output, expected, strict=True)):
        return 0.0
    cells = sum(len(row) for row in expected)
    same = sum(
        a == b
        for row, exp_row in zip(output, expected, strict=True)
        for a, b in zip(row, exp_row, strict=True)
    )
    return same / cells


def reward(outputs: list[Grid | None], expected: list[Grid], kind: str = "exact") -> float:
    """`exact`: fraction of demonstrations solved exactly; `partial`: mean cell accuracy (0 if shape differs)."""
    if kind not in KINDS:
        raise InputError(f"reward kind {kind!r}: must be one of {list(KINDS)}")
    if len(outputs) != len(expected):
        raise InputError(f"reward: {len(outputs)} outputs for {len(expected)} expected grids")
    if not expected:
        raise InputError("reward: no expected grids")
    if kind == "exact":
        return sum(out == exp for out, exp in zip(outputs, expected, strict=True)) / len(expected)
    return sum(_cell_accuracy(out, exp) for out, exp in zip(outputs, expected, strict=True)) / len(expected)
