"""Tree file format 2: grids as digit rows, each distinct output set stored once; format 1 still read."""

from __future__ import annotations

import gc
import json
import typing

import pytest

from abmcts.arc.node import TreeNode
from abmcts.arc.treefile import (
    CALL_TYPES,
    OUTPUT_FIELDS,
    TreeEncoder,
    decode_grid,
    encode_grid,
    read_tree_calls,
    read_tree_nodes,
)
from abmcts.errors import InputError

from runner_helpers import VariedExecutor, search


def full_node(i: int, train: list, test: list) -> dict:
    return {
        "id": i,
        "parent": None if i == 0 else i - 1,
        "model": "m",
        "prompt_hash": "h",
        "sample_index": 0,
        "code": "def transform(g):\n    return g\n",
        "reward": 0.5,
        "train_correct": [True, False],
        "train_outputs": train,
        "test_outputs": test,
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "cost": 0.0,
        "latency_s": 0.0,
        "error": None,
        "exec_errors": None,
    }


NODES = [
    full_node(0, [[[1, 0], [0, 9]], None], [[[7]]]),
    full_node(1, [[[3, 3, 3]], [[0]]], [None]),
    full_node(2, [[[1, 0], [0, 9]], None], [[[7]]]),  # the same outputs as node 0
]


def encoded(nodes: list[dict]) -> dict:
    encoder = TreeEncoder()
    for n in nodes:
        encoder.add(n)
    return json.loads(encoder.dumps({"task_id": "t", "complete": True}))


def test_grids_round_trip_as_digit_rows():
    assert encode_grid([[1, 0], [0, 9]]) == ["10", "09"]
    assert encode_grid(None) is None
    assert decode_grid(["10", "09"], "x") == [[1, 0], [0, 9]]
    for bad in (
        [[1, 10]],
        [[48]],
        [[1, 57]],
        [[1, 2], [3]],
        [],
        [[]],
        [[0] * 31],
        [[1.0]],
        [[-1]],
        ["01"],
        [3, 3],
    ):
        with pytest.raises(ValueError, match="^not an ARC grid"):
            encode_grid(bad)


def test_nodes_round_trip_and_equal_outputs_are_stored_once():
    doc = encoded(NODES)
    assert doc["format"] == 2
    assert len(doc["outputs"]) == 2
    assert [n["outputs"] for n in doc["nodes"]] == [0, 1, 0]
    assert doc["outputs"][0] == {"train": [["10", "09"], None], "test": [["7"]]}
    assert read_tree_nodes(doc, "f") == NODES


def test_field_values_that_look_like_the_encoders_placeholders_round_trip():
    nodes = [dict(NODES[0], code=f"\x00{key}\x00") for key in ("nodes", "outputs")]
    nodes[1]["id"], nodes[1]["parent"] = 1, 0
    assert read_tree_nodes(encoded(nodes), "f") == nodes


def test_format_1_files_are_still_read():
    assert read_tree_nodes({"format": 1, "nodes": NODES}, "f") == NODES


@pytest.mark.parametrize("bad", [[[1, 10]], [[1, 2], [3]], [], "01", 5])
def test_a_bad_grid_in_a_format_1_file_is_an_input_error(bad):
    nodes = [*NODES[:2], full_node(2, [None, bad], [None])]
    with pytest.raises(InputError, match=r"^f: node 2 train_outputs\[1\]: bad grid"):
        read_tree_nodes({"format": 1, "nodes": nodes}, "f")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format=3), "unknown tree format 3"),
        (lambda d: d.update(outputs={}), "'outputs' must be a list"),
        (lambda d: d["nodes"][1].update(outputs=2), "node 1 field 'outputs' has a bad value 2"),
        (lambda d: d["nodes"][1].update(outputs=True), "node 1 field 'outputs' has a bad value True"),
        (lambda d: d["outputs"][1].pop("test"), "outputs[1]: must be an object with keys"),
        (lambda d: d["outputs"][0].update(test=[["1", "22"]]), "outputs[0] test[0]: bad grid"),
        (lambda d: d["outputs"][0].update(test=[["1a"]]), "outputs[0] test[0]: bad grid"),
        (lambda d: d["outputs"][0].update(test=[[]]), "outputs[0] test[0]: bad grid"),
        (lambda d: d["outputs"][0].update(test=[["²"]]), "outputs[0] test[0]: bad grid"),
        (lambda d: d["nodes"][2].pop("reward"), "node 2 has no field 'reward'"),
    ],
)
def test_a_corrupted_file_names_the_file_and_the_place(edit, message):
    doc = encoded(NODES)
    edit(doc)
    with pytest.raises(InputError, match="^tree.json: ") as err:
        read_tree_nodes(doc, "tree.json")
    assert message in str(err.value)


FIELDS = typing.get_type_hints(TreeNode)


def _bad_values(hint: object) -> list[object]:
    """JSON values of types the field's annotation does not allow: an object and a bool never fit
    (no field is either; a bool is not an int), None unless the field is optional, a string unless
    it may hold one."""
    allowed = set(typing.get_args(hint)) | {hint}
    bad: list[object] = [{}, True]
    if type(None) not in allowed:
        bad.append(None)
    if str not in allowed:
        bad.append("x")
    return bad


def test_the_fixture_nodes_have_exactly_the_records_fields():
    assert all(set(node) == set(FIELDS) for node in NODES)


@pytest.mark.parametrize(
    ("field", "value"), [(f, v) for f, hint in FIELDS.items() for v in _bad_values(hint)], ids=repr
)
def test_the_check_rejects_a_value_of_a_type_the_record_does_not_allow(field, value):
    nodes = [NODES[0], {**NODES[1], field: value}]
    with pytest.raises(InputError, match=f"^f: node 1 field '{field}' has a bad value"):
        read_tree_nodes({"format": 1, "nodes": nodes}, "f")


@pytest.mark.parametrize("field", list(FIELDS))
def test_the_check_rejects_a_node_without_a_field_of_the_record(field):
    node = {k: v for k, v in NODES[1].items() if k != field}
    with pytest.raises(InputError, match=f"^f: node 1 has no field '{field}'"):
        read_tree_nodes({"format": 1, "nodes": [NODES[0], node]}, "f")


def test_a_float_field_takes_a_whole_number_as_json_writes_it():
    float_fields = [f for f, hint in FIELDS.items() if hint is float]
    assert float_fields  # reward, cost, latency_s
    node = {**NODES[1], **dict.fromkeys(float_fields, 1)}
    assert read_tree_nodes({"format": 1, "nodes": [NODES[0], node]}, "f")[1] == node


def test_a_format_1_checkpoint_resumes_and_is_rewritten_as_format_2(tmp_path):
    search(tmp_path, VariedExecutor()).run()
    path = tmp_path / "t1.json"
    v2 = path.read_bytes()
    doc = json.loads(v2)
    nodes = read_tree_nodes(doc, str(path))
    assert len(doc["outputs"]) == 3 and any(n["test_outputs"] == [None] for n in nodes)
    del doc["outputs"]
    path.write_text(json.dumps({**doc, "format": 1, "nodes": nodes}))
    resumed = search(tmp_path, VariedExecutor())
    assert resumed.resume() is True and resumed.nodes == nodes
    resumed.write(complete=True)
    assert path.read_bytes() == v2


def test_the_calls_reader_gives_every_field_but_the_outputs():
    """A trace reads the calls only: the same fields as `read_tree_nodes`, outputs left encoded."""
    for doc in (encoded(NODES), {"format": 1, "nodes": NODES}):
        calls = read_tree_calls(doc, "f")
        for call, node in zip(calls, NODES, strict=True):
            assert {k: call[k] for k in CALL_TYPES} == {
                k: v for k, v in node.items() if k not in OUTPUT_FIELDS
            }


@pytest.mark.parametrize("field", list(CALL_TYPES))
def test_the_calls_reader_checks_every_field_it_gives(field):
    doc = encoded(NODES)
    doc["nodes"][1][field] = {}
    with pytest.raises(InputError, match=f"^f: node 1 field '{field}' has a bad value"):
        read_tree_calls(doc, "f")
    del doc["nodes"][1][field]
    with pytest.raises(InputError, match=f"^f: node 1 has no field '{field}'"):
        read_tree_calls(doc, "f")


@pytest.mark.parametrize("doc", [[], {"format": 3, "nodes": []}, {"format": 2, "nodes": {}}], ids=repr)
def test_the_calls_reader_refuses_what_is_not_a_tree_file(doc):
    with pytest.raises(InputError, match="^f: "):
        read_tree_calls(doc, "f")


def test_a_grid_repeated_across_output_sets_is_decoded_once_and_shared():
    # nodes 0 and 1 share their first train output but not their outputs entry
    nodes = [NODES[0], full_node(1, [[[1, 0], [0, 9]], [[5]]], [[[7]]])]
    doc = encoded(nodes)
    assert len(doc["outputs"]) == 2
    read = read_tree_nodes(doc, "f")
    assert read == nodes
    assert read[0]["train_outputs"][0] is read[1]["train_outputs"][0]
    assert read[0]["test_outputs"][0] is read[1]["test_outputs"][0]
    assert read[0]["test_outputs"] is not read[1]["test_outputs"]  # one list per outputs entry


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        ("12", "'12'"),  # a string whose characters are the rows of the valid grid ["1", "2"]
        ({"1": 0, "2": 0}, "{'1': 0, '2': 0}"),  # an object whose keys are those rows
        (["1", 2], "['1', 2]"),
        ([["1"], ["2"]], "[['1'], ['2']]"),  # unhashable rows
        (["1", "22"], "['1', '22']"),
    ],
    ids=repr,
)
def test_a_bad_grid_after_a_valid_one_it_resembles_is_still_refused(bad, shown):
    doc = encoded([NODES[0], full_node(1, [[[1], [2]], None], [None])])
    doc["outputs"][1]["test"] = [bad]
    with pytest.raises(InputError, match=r"^f: outputs\[1\] test\[0\]: bad grid ") as err:
        read_tree_nodes(doc, "f")
    assert shown in str(err.value)


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_garbage_collector_as_it_found_it_even_on_error(enabled):
    bad = encoded(NODES)
    bad["outputs"][0]["test"] = [["1a"]]
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        read_tree_nodes(encoded(NODES), "f")
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            read_tree_nodes(bad, "f")
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
