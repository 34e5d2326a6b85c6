"""OutputsKeys: outputs_key computed once per shared list or grid, equal keys exactly for equal outputs."""

from __future__ import annotations

import itertools
import json

import pytest

from abmcts.arc.treefile import TreeEncoder, read_tree_nodes
from abmcts.select import select_programs
from abmcts.select.trees import OutputsKeys, outputs_key

from project_helpers import node, tree

# test outputs of one node each: pairwise unequal, including near misses of one another
DISTINCT = [
    None,
    [],
    [None],
    [None, None],
    [[[1]]],
    [[[1]], None],
    [None, [[1]]],
    [[[1, 0]]],
    [[[1], [0]]],
    [[[0, 1]]],
    [[[1]], [[1]]],
    [[[2]]],
]


def _nodes_in_fresh_lists(outputs_list: list) -> list[dict]:
    return [node(i, 0.5, json.loads(json.dumps(o))) for i, o in enumerate(outputs_list)]


def test_keys_are_the_text_outputs_key_gives():
    nodes = _nodes_in_fresh_lists(DISTINCT) + [node(99, 0.5, ([[1]], None)), {"id": 100}]
    key_of = OutputsKeys()
    assert [key_of(n) for n in nodes] == [outputs_key(n) for n in nodes]


def test_equal_outputs_in_different_lists_and_grids_get_equal_keys_unequal_ones_differ():
    first, second = _nodes_in_fresh_lists(DISTINCT), _nodes_in_fresh_lists(DISTINCT)
    key_of = OutputsKeys()
    keys = [key_of(n) for n in first]
    assert [key_of(n) for n in second] == keys  # equal content, other objects
    for (i, a), (j, b) in itertools.combinations(enumerate(keys), 2):
        if (DISTINCT[i] or []) != (DISTINCT[j] or []):  # None and [] are both "no outputs"
            assert a != b, (DISTINCT[i], DISTINCT[j])


def test_a_freed_list_whose_id_is_reused_does_not_get_the_old_key():
    key_of = OutputsKeys()
    for value in range(50):  # temporaries: without the memo holding them CPython reuses their ids
        outputs = [[[value % 10]], [[value // 10]]]
        assert key_of({"test_outputs": outputs}) == outputs_key({"test_outputs": outputs})


def test_a_tree_file_with_shared_lists_ranks_as_fresh_copies_do():
    # nodes 1 and 2: same test outputs, different train outputs (two entries of the file's table)
    made = [
        node(0, 0.2, [[[3]]], train_outputs=[[[0]]]),
        node(1, 0.9, [[[1]], [[2]]], train_outputs=[[[5]]]),
        node(2, 0.9, [[[1]], [[2]]], train_outputs=[[[6]]]),
        node(3, 0.5, [[[1]], [[2]]], train_outputs=[[[5]]]),
    ]
    for n in made:
        n.update(parent=None, prompt_hash="h", sample_index=0, train_correct=[False], exec_errors=None)
    encoder = TreeEncoder()
    for n in made:
        encoder.add(n)
    read = read_tree_nodes(json.loads(encoder.dumps({})), "f")
    assert read == made and read[1]["test_outputs"] is read[3]["test_outputs"]
    assert read[1]["test_outputs"][0] is read[2]["test_outputs"][0]
    for strategy in ("sakana", "majority_vote", "weighted_agreement"):
        fresh = select_programs(tree("t", json.loads(json.dumps(made))), strategy, n=None)
        assert select_programs(tree("t", read), strategy, n=None) == fresh
        assert sorted(fresh) == [0, 2]  # one program per distinct answer


@pytest.mark.parametrize("outputs", [([[1]],), {"a": 1}, "x"], ids=repr)
def test_outputs_that_are_not_a_list_take_outputs_key_itself(outputs):
    assert OutputsKeys()({"test_outputs": outputs}) == outputs_key({"test_outputs": outputs})
