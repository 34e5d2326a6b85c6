"""Reading tree files and the few node facts every selection strategy needs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from abmcts.errors import InputError
from abmcts.io import read_json

NODE_FIELDS = ("id", "parent", "reward", "test_outputs")


def check_tree(tree: Any, where: str) -> dict[str, Any]:
    """Fail fast with one clear message if `tree` lacks what selection and scoring read."""
    if not isinstance(tree, dict):
        raise InputError(f"{where}: tree must be an object, got {type(tree).__name__}")
    for key in ("task_id", "nodes"):
        if key not in tree:
            raise InputError(f"{where}: tree is missing field {key!r}")
    if not isinstance(tree["nodes"], list):
        raise InputError(f"{where}: field 'nodes' must be a list")
    for i, node in enumerate(tree["nodes"]):
        if not isinstance(node, dict):
            raise InputError(f"{where}: nodes[{i}] must be an object")
        for key in NODE_FIELDS:
            if key not in node:
                raise InputError(f"{where}: nodes[{i}] is missing field {key!r}")
        if type(node["id"]) is not int:
            raise InputError(f"{where}: nodes[{i}].id must be an int, got {node['id']!r}")
        if not isinstance(node["reward"], int | float) or isinstance(node["reward"], bool):
            raise InputError(f"{where}: nodes[{i}].reward must be a number, got {node['reward']!r}")
        if node["test_outputs"] is not None and not isinstance(node["test_outputs"], list):
            raise InputError(f"{where}: nodes[{i}].test_outputs must be a list or null")
    return tree


def load_trees(directory: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Load every `<task_id>.json` tree in `directory`, keyed by task id."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"trees directory {directory}: not a directory")
    trees = {}
    for path in sorted(directory.glob("*.json")):
        tree = check_tree(read_json(path, "tree file"), f"tree file {path}")
        if tree["task_id"] != path.stem:
            raise InputError(f"tree file {path}: task_id {tree['task_id']!r} does not match the file name")
        trees[tree["task_id"]] = tree
    return trees


def outputs_key(node: dict[str, Any]) -> str:
    """Canonical text of a node's test outputs, so equal answers compare equal."""
    return json.dumps(node.get("test_outputs") or [], separators=(",", ":"))


def has_answer(node: dict[str, Any]) -> bool:
    """True if the program produced at least one test output (errors produce none)."""
    return any(out is not None for out in node.get("test_outputs") or [])
