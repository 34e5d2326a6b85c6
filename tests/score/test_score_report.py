import json

import pytest

from abmcts.score import call_share_by_task, compute_metrics, pass_at_k_rows, usage_by_model
from abmcts.select import attempts_for, select_programs

A, B = [[1]], [[2]]


@pytest.fixture
def trees(make_node, make_tree):
    return {
        "t1": make_tree("t1", [make_node(0, 0.0, [B], model="m1"), make_node(1, 1.0, [A], model="m2")]),
        "t2": make_tree(
            "t2",
            [
                make_node(i, 0.0, [B], model="m1" if i < 3 else "m2", prompt_tokens=100, cost=0.5)
                for i in range(4)
            ],
        ),
        "extra": make_tree("extra", [make_node(0, 1.0, [A], model="m3")]),  # not in solutions: not scored
    }


def test_usage_and_call_shares(trees):
    usage = usage_by_model(trees)
    assert list(usage) == ["m1", "m2", "m3"]
    assert usage["m1"].calls == 4 and usage["m1"].prompt_tokens == 10 + 300
    assert usage["m2"].cost == pytest.approx(0.01 + 0.5)
    shares = call_share_by_task(trees)
    assert shares["t1"] == {"m1": 0.5, "m2": 0.5}
    assert shares["t2"] == {"m1": 0.75, "m2": 0.25}


def test_compute_metrics_is_json_ready_and_consistent(trees):
    solutions = {"t1": [A], "t2": [A]}
    attempts = {tid: attempts_for(trees.get(tid), "sakana", 1) for tid in solutions}
    selection = {"programs": {tid: select_programs(trees[tid], "sakana") for tid in solutions}, "judge": None}
    m = compute_metrics(trees, attempts, solutions, budget=12, selection=selection)
    json.dumps(m)
    assert m["pass_at_k"] == {"1": 0.0, "10": 0.5, "12": 0.5}
    assert m["pass_at_k_curve"][:3] == [0.0, 0.5, 0.5] and len(m["pass_at_k_curve"]) == 12
    assert m["pass_at_2"] == 0.5 and m["official_score"] == 0.5 and m["kaggle_score"] == 0.5
    assert m["n_tasks"] == 2 and m["calls"] == 6
    assert m["prompt_tokens"] == 20 + 400 and m["completion_tokens"] == 30 and m["tokens"] == 450
    assert m["cost"] == pytest.approx(0.02 + 2.0)
    assert set(m["per_model"]) == {"m1", "m2"}
    assert m["per_model"]["m1"]["call_share"] == pytest.approx(4 / 6)
    assert m["per_model"]["m2"]["tokens"] == 15 + 105
    assert m["selection_usage"]["calls"] == 0 and m["total_cost"] == pytest.approx(m["cost"])


def test_judge_usage_is_reported_and_added_to_total_cost(trees):
    judge = {
        "calls": 2,
        "cached": 1,
        "capped": 1,
        "prompt_tokens": 300,
        "completion_tokens": 20,
        "tokens": 320,
        "cost": 0.25,
    }
    m = compute_metrics(trees, {}, {"t1": [A]}, budget=2, selection={"programs": {"t1": [1]}, "judge": judge})
    assert m["pass_at_2"] == 1.0
    assert m["selection_usage"] == judge
    assert m["total_cost"] == pytest.approx(m["cost"] + 0.25)


def test_headline_k_values_include_budget_and_stop_at_it():
    m = compute_metrics({}, {}, {"x": [A]}, budget=300, selection={"programs": {}})
    assert list(m["pass_at_k"]) == ["1", "10", "50", "100", "250", "300"]


def test_pass_at_k_rows():
    assert pass_at_k_rows([0.1, 0.2]) == [{"k": 1, "pass_at_k": 0.1}, {"k": 2, "pass_at_k": 0.2}]
