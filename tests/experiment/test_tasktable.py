"""The per-task rows behind the MLflow table and the comparison's intervals."""

from __future__ import annotations

from abmcts.score.tasktable import as_columns, per_task_rows, tree_shape


def n(node_id, parent, model, reward, test_outputs, cost=0.01):
    return {
        "id": node_id,
        "parent": parent,
        "model": model,
        "reward": reward,
        "code": "x",
        "test_outputs": test_outputs,
        "cost": cost,
    }


def test_tree_shape_is_depth_and_widest_level():
    nodes = [n(0, None, "a", 0, []), n(1, None, "a", 0, []), n(2, 0, "a", 0, []), n(3, 2, "a", 0, [])]
    assert tree_shape(nodes) == (3, 2)
    assert tree_shape([]) == (0, 0)


def test_rows_hold_rewards_solves_choices_and_usage_per_model():
    good, bad = [[1]], [[0]]
    trees = {
        "t1": {"nodes": [n(0, None, "m/a", 0.5, [bad]), n(1, 0, "m/b", 1.0, [good], cost=0.02)]},
        "t2": {"nodes": [n(0, None, "m/a", 0.0, [bad])]},
    }
    attempts = {
        "t1": [{"attempt_1": good, "attempt_2": bad, "node_1": 1, "node_2": 0}],
        "t2": [{"attempt_1": bad, "attempt_2": [[0]], "node_1": 0, "node_2": None}],
    }
    solutions = {"t1": [good], "t2": [good], "t3": [good]}  # t3: no tree, scores zero
    programs = {"t1": [1, 0], "t2": [0]}  # what the select stage chose (selection.json)
    rows = per_task_rows(trees, attempts, solutions, programs, budget=2)
    assert [r["task_id"] for r in rows] == ["t1", "t2", "t3"]
    t1, t2, t3 = rows
    assert t1["solved_test"] and t1["pass_at_2"] == 1 and t1["first_solving_call"] == 1
    assert t1["pass_at_budget"] == 1 and t1["chosen_nodes"] == "1 0" and (t1["depth"], t1["width"]) == (2, 1)
    assert t1["calls/m/a"] == 1 and t1["cost/m/b"] == 0.02 and t1["best_train_reward"] == 1.0
    assert not t2["solved_test"] and t2["pass_at_2"] == 0 and t2["chosen_nodes"] == "0 -"
    assert t3["calls"] == 0 and t3["first_solving_call"] is None and t3["calls/m/a"] == 0
    columns = as_columns(rows)
    assert columns["task_id"] == ["t1", "t2", "t3"] and len(columns) == len(t1)
