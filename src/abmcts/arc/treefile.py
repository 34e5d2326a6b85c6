"""Tree file codec and shape check.

Format 2 keeps files compact: a grid is stored as its rows of digits (``[[0,1],[2,3]]`` ->
``["01","23"]``) and each distinct set of program outputs once per file, in ``outputs``, which nodes
name by index (weak programs often agree, e.g. on the unchanged input). In memory, and in format 1
files (still read), a node holds its grids directly as ``train_outputs`` / ``test_outputs``.
A corrupted or foreign file becomes one clear InputError naming the file, node and field, instead
of a traceback deep in resume or selection. The check reads its fields and their types from the node
record, `abmcts.arc.node.TreeNode`, so the two cannot drift apart.
"""

from __future__ import annotations

import types
import typing
from typing import Any, cast

from abmcts.arc.node import TreeNode
from abmcts.arc.task import Grid, digit_rows, grid_problem
from abmcts.errors import InputError
from abmcts.io import dumps_json, paused_gc

TREE_FORMAT = 2
READABLE_FORMATS = (1, 2)
OUTPUT_FIELDS = ("train_outputs", "test_outputs")
_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))


def _json_types(hint: Any) -> tuple[type, ...]:
    """The JSON value types a field annotated `hint` may hold, outermost only (``list[X]`` -> list,
    ``X | None`` -> X's and NoneType); a float field also takes an int, as JSON writes 1.0 as 1."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(t for arg in typing.get_args(hint) for t in _json_types(arg))
    origin = typing.get_origin(hint)
    if origin is not None:
        return (origin,)
    return (int, float) if hint is float else (hint,)


# Every field of a node and the JSON types it may hold, from the record's own annotations.
NODE_TYPES: dict[str, tuple[type, ...]] = {
    key: _json_types(hint) for key, hint in typing.get_type_hints(TreeNode).items()
}


# The fields a view of the calls reads (a task's trace): every field but the programs' outputs.
CALL_TYPES = {key: allowed for key, allowed in NODE_TYPES.items() if key not in OUTPUT_FIELDS}


def check_tree_nodes(
    data: dict[str, Any], where: str, fields: dict[str, tuple[type, ...]] = NODE_TYPES
) -> list[TreeNode]:
    """The `nodes` list of a tree file, checked: node i has id i, an earlier parent, typed `fields`."""
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        raise InputError(f"{where}: 'nodes' must be a list, got {type(nodes).__name__}")
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise InputError(f"{where}: node {i} must be an object, got {type(node).__name__}")
        for key, allowed in fields.items():
            if key not in node:
                raise InputError(f"{where}: node {i} has no field {key!r}")
            value = node[key]
            if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
                raise InputError(f"{where}: node {i} field {key!r} has a bad value {value!r:.60}")
        parent = node["parent"]
        if node["id"] != i or (parent is not None and not 0 <= parent < i):
            raise InputError(f"{where}: node {i} has id {node['id']!r} and parent {parent!r}")
        if not 0.0 <= node["reward"] <= 1.0:
            raise InputError(f"{where}: node {i} field 'reward' has a bad value {node['reward']!r}")
    return cast(list[TreeNode], nodes)  # every field checked above


def encode_grid(grid: Grid | None) -> list[str] | None:
    """A grid as its rows of digits; ValueError if it is not an ARC grid (outputs are checked before)."""
    if grid is None:
        return None
    rows = digit_rows(grid)
    if rows is None:
        raise ValueError(f"not an ARC grid ({grid_problem(grid)}): {grid!r:.60}")
    return [r.decode() for r in rows]


def decode_grid(rows: Any, where: str) -> Grid | None:
    if rows is None:
        return None
    if not _digit_rows(rows):
        raise InputError(f"{where}: bad grid {rows!r:.60} (want equal-length rows of digits)")
    flat = "".join(rows).encode().translate(_DIGIT_VALUES)
    return cast(Grid, memoryview(flat).cast("B", (len(rows), len(rows[0]))).tolist())  # C speed


def _digit_rows(rows: Any) -> bool:
    """True for a non-empty list of non-empty, equal-length strings of ASCII digits (checked on
    the joined text, at C speed)."""
    if not isinstance(rows, list) or not rows:
        return False
    try:
        text = "".join(rows)
    except TypeError:  # a row that is not a string
        return False
    return bool(rows[0]) and text.isascii() and text.isdigit() and len(set(map(len, rows))) == 1


class TreeEncoder:
    """Encodes one tree's nodes for a format 2 file, one JSON fragment per node (encoded once),
    collecting the distinct output sets as it goes."""

    def __init__(self) -> None:
        self.node_json: list[str] = []
        self.outputs_json: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, node: TreeNode) -> None:
        outputs = dumps_json(
            {
                "train": [encode_grid(g) for g in node["train_outputs"]],
                "test": [encode_grid(g) for g in node["test_outputs"]],
            }
        )
        index = self._index.get(outputs)
        if index is None:
            index = self._index[outputs] = len(self.outputs_json)
            self.outputs_json.append(outputs)
        slim = {k: v for k, v in node.items() if k not in OUTPUT_FIELDS}
        slim["outputs"] = index
        self.node_json.append(dumps_json(slim))

    def dumps(self, header: dict[str, Any]) -> str:
        """The file text: ``header`` (without nodes/outputs) plus the encoded nodes and outputs.
        Equal to ``dumps_json`` of the whole format 2 document."""
        # outputs first: its fragments hold only digits, nulls and brackets, never the other placeholder
        slots = {"outputs": self.outputs_json, "nodes": self.node_json}
        doc = {**header, "format": TREE_FORMAT, **{k: f"\x00{k}\x00" for k in slots}}
        text = dumps_json(doc)
        for key, fragments in slots.items():
            text = text.replace(dumps_json(f"\x00{key}\x00"), f"[{','.join(fragments)}]", 1)
        return text


def read_tree_nodes(data: Any, where: str) -> list[TreeNode]:
    """The checked nodes of a tree file (format 1 or 2), with their grids as lists of rows.

    Nodes with equal outputs share the same grid lists: treat them as read-only.
    """
    if _tree_format(data, where) == 1:
        checked = check_tree_nodes(data, where)
        for node in checked:
            for key, grids in (
                ("train_outputs", node["train_outputs"]),
                ("test_outputs", node["test_outputs"]),
            ):
                for j, grid in enumerate(grids):
                    problem = None if grid is None else grid_problem(grid)
                    if problem:
                        raise InputError(f"{where}: node {node['id']} {key}[{j}]: bad grid ({problem})")
        return checked
    table, nodes = data.get("outputs"), data.get("nodes")
    if not isinstance(table, list):
        raise InputError(f"{where}: 'outputs' must be a list, got {type(table).__name__}")
    if not isinstance(nodes, list):
        raise InputError(f"{where}: 'nodes' must be a list, got {type(nodes).__name__}")
    shared: dict[tuple[str, ...], Grid] = {}  # entries often share grids (e.g. a demo's output)
    full = []
    with paused_gc():
        decoded = [_decode_outputs(entry, f"{where}: outputs[{i}]", shared) for i, entry in enumerate(table)]
        for i, node in enumerate(nodes):
            if not isinstance(node, dict):
                raise InputError(f"{where}: node {i} must be an object, got {type(node).__name__}")
            index = node.get("outputs")
            if type(index) is not int or not 0 <= index < len(decoded):
                raise InputError(f"{where}: node {i} field 'outputs' has a bad value {index!r:.60}")
            rest = {k: v for k, v in node.items() if k != "outputs"}
            full.append({**rest, **decoded[index]})
    return check_tree_nodes({"nodes": full}, where)


def read_tree_calls(data: Any, where: str) -> list[dict[str, Any]]:
    """The nodes of a tree file with every field but the outputs checked, and the outputs neither
    decoded nor checked: what a view of the calls reads (a task's trace), at a fraction of
    `read_tree_nodes`' cost. Format 2 nodes keep their `outputs` index, format 1 nodes their grids."""
    if _tree_format(data, where) == 1:
        return cast(list[dict[str, Any]], read_tree_nodes(data, where))
    return cast(list[dict[str, Any]], check_tree_nodes(data, where, CALL_TYPES))


def _tree_format(data: Any, where: str) -> int:
    if not isinstance(data, dict):
        raise InputError(f"{where}: a tree file must be a JSON object, got {type(data).__name__}")
    fmt = data.get("format")
    if fmt not in READABLE_FORMATS:
        raise InputError(
            f"{where}: unknown tree format {fmt!r} (this version reads {list(READABLE_FORMATS)})"
        )
    return cast(int, fmt)


def _decode_outputs(
    entry: Any, where: str, grids: dict[tuple[str, ...], Grid]
) -> dict[str, list[Grid | None]]:
    """One `outputs` entry as node fields; `grids` holds the grids decoded so far, by their rows,
    so each distinct grid of a file is checked and decoded once and then shared."""
    if not isinstance(entry, dict) or set(entry) != {"train", "test"}:
        raise InputError(f"{where}: must be an object with keys 'train' and 'test'")
    out = {}
    for key in ("train", "test"):
        rows_list = entry[key]
        if not isinstance(rows_list, list):
            raise InputError(f"{where}: {key!r} must be a list, got {type(rows_list).__name__}")
        out[f"{key}_outputs"] = [
            _shared_grid(rows, f"{where} {key}[{j}]", grids) for j, rows in enumerate(rows_list)
        ]
    return out


def _shared_grid(rows: Any, where: str, grids: dict[tuple[str, ...], Grid]) -> Grid | None:
    """`decode_grid(rows, where)`, the same list for equal rows (only valid grids are kept, so a
    hit is a list of the same digit strings, which passes the same check)."""
    if not isinstance(rows, list):
        return decode_grid(rows, where)
    try:
        key = tuple(rows)
        grid = grids.get(key)
    except TypeError:  # an unhashable row (a list, an object): not a grid
        return decode_grid(rows, where)
    if grid is None:
        grid = grids[key] = cast(Grid, decode_grid(rows, where))  # not None: rows is a list
    return grid
