import json

import pytest

from abmcts.select import (
    attempts_for,
    plan_all,
    plan_attempts,
    write_benchmarking_submissions,
    write_submission,
)

A, B, C = [[1]], [[2]], [[3]]


def test_two_attempts_per_test_input_from_the_ranking(make_node, make_tree):
    t = make_tree("t", [make_node(0, 0.5, [B, C]), make_node(1, 1.0, [A, A])])
    assert attempts_for(t, "sakana", 2) == [
        {"attempt_1": A, "attempt_2": B},
        {"attempt_1": A, "attempt_2": C},
    ]


def test_null_output_falls_back_to_next_candidate(make_node, make_tree):
    t = make_tree(
        "t", [make_node(0, 0.2, [C, C]), make_node(1, 0.5, [B, None]), make_node(2, 1.0, [A, None])]
    )
    plans = plan_attempts(t, "sakana", 2)
    assert (plans[0].attempt_1, plans[0].attempt_2, plans[0].node_1, plans[0].node_2) == (A, B, 2, 1)
    assert (plans[1].attempt_1, plans[1].attempt_2, plans[1].node_1, plans[1].node_2) == (C, [[0]], 0, None)


def test_per_input_duplicates_are_skipped_and_invalid_grids_ignored(make_node, make_tree):
    # Programs differ overall but agree on test input 0; input 0's attempt_2 must come from node 0.
    t = make_tree(
        "t",
        [make_node(0, 0.1, [C, C]), make_node(1, 0.5, [A, [[5, 5], [5]]]), make_node(2, 1.0, [A, B])],
    )
    assert attempts_for(t, "sakana", 2) == [
        {"attempt_1": A, "attempt_2": C},
        {"attempt_1": B, "attempt_2": C},
    ]


def test_missing_tree_and_short_output_lists_use_the_fallback_grid(make_node, make_tree):
    assert attempts_for(None, "sakana", 2) == [{"attempt_1": [[0]], "attempt_2": [[0]]}] * 2
    t = make_tree("t", [make_node(0, 1.0, [A])])
    assert attempts_for(t, "sakana", 2)[1] == {"attempt_1": [[0]], "attempt_2": [[0]]}


def test_plan_all_covers_every_task_even_without_tree(make_node, make_tree):
    trees = {"a": make_tree("a", [make_node(0, 1.0, [A])])}
    plans = plan_all(trees, "sakana", {"a": 1, "b": 2})
    assert sorted(plans) == ["a", "b"] and len(plans["b"]) == 2
    assert plans["a"][0].attempt_1 == A and plans["b"][0].node_1 is None


def test_write_submission_is_kaggle_format(tmp_path, make_node, make_tree):
    plans = plan_all({"a": make_tree("a", [make_node(0, 1.0, [A, B])])}, "sakana", {"a": 2})
    path = tmp_path / "out" / "submission.json"
    write_submission(plans, path)
    data = json.loads(path.read_text())
    assert data == {"a": [{"attempt_1": A, "attempt_2": [[0]]}, {"attempt_1": B, "attempt_2": [[0]]}]}
    write_submission({"a": [{"attempt_1": A, "attempt_2": B, "node_1": 3}]}, path)
    assert json.loads(path.read_text()) == {"a": [{"attempt_1": A, "attempt_2": B}]}


def test_benchmarking_files_follow_arc_agi_benchmarking_schema(tmp_path, make_node, make_tree):
    tree = make_tree("a", [make_node(0, 1.0, [A, B], model="m1"), make_node(1, 0.5, [C, C], model="m2")])
    plans = plan_all({"a": tree}, "sakana", {"a": 2})
    paths = write_benchmarking_submissions(plans, {"a": tree}, tmp_path)
    assert paths == [tmp_path / "a.json"]
    data = json.loads(paths[0].read_text())
    assert isinstance(data, list) and len(data) == 2
    first = data[0]["attempt_1"]
    assert first["answer"] == A
    meta = first["metadata"]
    for key in (
        "model",
        "provider",
        "start_timestamp",
        "end_timestamp",
        "choices",
        "kwargs",
        "usage",
        "cost",
    ):
        assert key in meta
    assert meta["model"] == "m1" and meta["pair_index"] == 0 and meta["task_id"] == "a"
    assert data[0]["attempt_2"]["metadata"]["model"] == "m2"
    assert data[1]["attempt_1"]["metadata"]["pair_index"] == 1
    assert meta["usage"]["total_tokens"] == 15
    total = sum(
        entry[k]["metadata"]["cost"]["total_cost"] for entry in data for k in ("attempt_1", "attempt_2")
    )
    assert total == pytest.approx(0.02)  # the whole search's cost, spread over the attempts
