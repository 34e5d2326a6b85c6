"""Shape check of a tree file's nodes: a corrupted or foreign file becomes one clear InputError
naming the file, node and field, instead of a traceback deep in resume or selection."""

from __future__ import annotations

from typing import Any

from abmcts.errors import InputError

_NUMBER = (int, float)
# Every field of runner.NodeRecord and the JSON types it may hold.
NODE_TYPES: dict[str, tuple[type, ...]] = {
    "id": (int,),
    "parent": (int, type(None)),
    "model": (str,),
    "prompt_hash": (str,),
    "sample_index": (int,),
    "code": (str, type(None)),
    "reward": _NUMBER,
    "train_correct": (list,),
    "train_outputs": (list,),
    "test_outputs": (list,),
    "prompt_tokens": (int,),
    "completion_tokens": (int,),
    "cost": _NUMBER,
    "latency_s": _NUMBER,
    "error": (str, type(None)),
    "exec_errors": (list, type(None)),
}


def check_tree_nodes(data: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The `nodes` list of a tree file, checked: node i has id i, an earlier parent, typed fields."""
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        raise InputError(f"{where}: 'nodes' must be a list, got {type(nodes).__name__}")
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise InputError(f"{where}: node {i} must be an object, got {type(node).__name__}")
        for key, types in NODE_TYPES.items():
            if key not in node:
                raise InputError(f"{where}: node {i} has no field {key!r}")
            value = node[key]
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise InputError(f"{where}: node {i} field {key!r} has a bad value {value!r:.60}")
        parent = node["parent"]
        if node["id"] != i or (parent is not None and not 0 <= parent < i):
            raise InputError(f"{where}: node {i} has id {node['id']!r} and parent {parent!r}")
        if not 0.0 <= node["reward"] <= 1.0:
            raise InputError(f"{where}: node {i} field 'reward' has a bad value {node['reward']!r}")
    return nodes
