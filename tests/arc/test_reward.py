"""Reward: exact fraction of solved demonstrations, or mean cell accuracy."""

from __future__ import annotations

import pytest

from abmcts.arc.reward import reward
from abmcts.errors import InputError

EXPECTED = [[[1, 2], [3, 4]], [[5]], [[0, 0, 0]]]


def test_exact_counts_solved_pairs() -> None:
    assert reward(EXPECTED, EXPECTED) == 1.0
    assert reward([[[1, 2], [3, 4]], None, [[0, 0, 1]]], EXPECTED) == pytest.approx(1 / 3)
    assert reward([None, None, None], EXPECTED) == 0.0


def test_partial_is_mean_cell_accuracy_with_zero_for_wrong_shapes() -> None:
    outputs = [[[1, 2], [3, 0]], [[5, 5]], [[0, 0, 1]]]
    assert reward(outputs, EXPECTED, kind="partial") == pytest.approx((0.75 + 0.0 + 2 / 3) / 3)
    assert reward([[[1, 2]], None, [[0], [0], [0]]], EXPECTED, kind="partial") == 0.0
    assert reward(EXPECTED, EXPECTED, kind="partial") == 1.0


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="kind"):
        reward(EXPECTED, EXPECTED, kind="fuzzy")
    with pytest.raises(InputError, match="2 outputs for 3"):
        reward(EXPECTED[:2], EXPECTED)
    with pytest.raises(InputError, match="no expected"):
        reward([], [])
