import pytest

from abmcts.score import (
    correct_per_test,
    first_solving_call,
    kaggle_score,
    official_score,
    pass_at_2,
    pass_at_2_per_task,
    pass_at_k_curve,
)
from abmcts.select import select_programs

A, B, C = [[1]], [[2]], [[3]]
SOLUTIONS = {"one": [A], "two": [A, B], "none": [C]}


def test_pass_at_k_counts_a_task_from_the_call_that_first_solves_all_inputs(make_node, make_tree):
    trees = {
        "one": make_tree("one", [make_node(0, 0.0, [B]), make_node(1, 1.0, [A])]),
        # node 0 solves only one of two inputs; node 2 solves both
        "two": make_tree(
            "two", [make_node(0, 1.0, [A, C]), make_node(1, 1.0, [None, B]), make_node(2, 1.0, [A, B])]
        ),
        # "none" has no tree: failure
    }
    curve = pass_at_k_curve(trees, SOLUTIONS, 4)
    assert curve == pytest.approx([0.0, 1 / 3, 2 / 3, 2 / 3])
    assert first_solving_call(trees["two"], SOLUTIONS["two"]) == 2
    assert first_solving_call(None, [A]) is None


def test_pass_at_k_ignores_nodes_beyond_budget_and_is_monotone(make_node, make_tree):
    trees = {"one": make_tree("one", [make_node(5, 1.0, [A])])}
    assert pass_at_k_curve(trees, {"one": [A]}, 5) == [0.0] * 5
    assert pass_at_k_curve(trees, {"one": [A]}, 6)[-1] == 1.0
    assert pass_at_k_curve({}, {}, 3) == [0.0, 0.0, 0.0]


def test_pass_at_2_scores_the_selected_programs_not_any_node(make_node, make_tree):
    # The solving program (node 0) is tied on reward with two later wrong ones: sakana picks 2 and 1.
    nodes = [make_node(0, 1.0, [A]), make_node(1, 1.0, [B]), make_node(2, 1.0, [C])]
    trees = {"one": make_tree("one", nodes)}
    assert pass_at_2(trees, {"one": [A]}, {"one": select_programs(trees["one"], "sakana")}) == 0.0
    assert pass_at_2(trees, {"one": [A]}, {"one": select_programs(trees["one"], "reward_earliest")}) == 1.0
    assert pass_at_2(trees, {"one": [A], "missing": [A]}, {"one": [0, 1]}) == 0.5
    assert pass_at_2(trees, {"one": [A]}, {"one": [1, 2, 0]}) == 0.0  # only the first two count
    assert pass_at_2_per_task(trees, {"one": [A], "missing": [A]}, {"one": [0]}) == {
        "one": True,
        "missing": False,
    }


def test_pass_at_2_needs_all_test_inputs_from_one_program(make_node, make_tree):
    # Each program gets one input right; whole-program Pass@2 fails, per-input scoring would not.
    trees = {"two": make_tree("two", [make_node(0, 1.0, [A, C]), make_node(1, 1.0, [C, B])])}
    assert pass_at_2(trees, {"two": [A, B]}, {"two": [0, 1]}) == 0.0


def test_official_score_is_mean_of_per_task_fractions():
    attempts = {
        "one": [{"attempt_1": B, "attempt_2": A}],
        "two": [{"attempt_1": A, "attempt_2": C}, {"attempt_1": C, "attempt_2": C}],
        "none": [{"attempt_1": C, "attempt_2": C}],
    }
    assert official_score(attempts, SOLUTIONS) == pytest.approx((1 + 0.5 + 1) / 3)
    assert kaggle_score(attempts, SOLUTIONS) == pytest.approx(3 / 4)


def test_missing_and_malformed_attempts_score_zero_without_crashing():
    attempts = {
        "one": [{"attempt_1": [[1, 0]], "attempt_2": [[1], [1]]}],  # wrong shapes
        "two": [{"attempt_2": A}, "garbage"],  # attempt_1 missing, second entry malformed
        # "none" missing entirely
    }
    assert official_score(attempts, SOLUTIONS) == pytest.approx(0.5 / 3)
    assert kaggle_score(attempts, SOLUTIONS) == pytest.approx(1 / 4)
    assert correct_per_test(None, [A, B]) == [False, False]
    assert correct_per_test("AB", [A]) == [False]
    assert correct_per_test([{"attempt_1": None, "attempt_2": 7}], [A]) == [False]
    assert correct_per_test([{"attempt_1": A}], [A, B]) == [True, False]  # too few entries


def test_official_score_reads_benchmarking_entries_too():
    attempts = {
        "one": [{"attempt_1": {"answer": B, "metadata": {}}, "attempt_2": {"answer": A, "metadata": {}}}]
    }
    assert official_score(attempts, {"one": [A]}) == 1.0


def test_empty_solutions_score_zero():
    assert official_score({}, {}) == 0.0 and kaggle_score({}, {}) == 0.0 and pass_at_2({}, {}, {}) == 0.0
