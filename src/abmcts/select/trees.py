"""The few node facts every selection strategy needs (tree files are read and checked by the
pipeline: abmcts.arc.treefile)."""

from __future__ import annotations

import json
from typing import Any

from abmcts.arc.node import TreeNode


def outputs_key(node: TreeNode) -> str:
    """Canonical text of a node's test outputs, so equal answers compare equal."""
    return json.dumps(node.get("test_outputs") or [], separators=(",", ":"))


class OutputsKeys:
    """`outputs_key` for the nodes of one tree, encoding each test-outputs list and grid once.

    A tree file's nodes with equal outputs share one list, and its output sets share grids
    (`abmcts.arc.treefile.read_tree_nodes`), so most nodes cost a dict lookup. Identity is only a
    shortcut: the key is always the text `outputs_key` gives, so equal outputs held in different
    lists (a tree built in memory, a format 1 file) still get equal keys. Each memo entry holds
    its object, so an id cannot be reused while the memo lives; keep one for one ranking.
    """

    def __init__(self) -> None:
        self._lists: dict[int, tuple[Any, str]] = {}
        self._grids: dict[int, tuple[Any, str]] = {}

    def __call__(self, node: TreeNode) -> str:
        outputs = node.get("test_outputs")
        if type(outputs) is not list or not outputs:
            return outputs_key(node)
        seen = self._lists.get(id(outputs))
        if seen is None:
            key = f"[{','.join(self._grid(grid) for grid in outputs)}]"  # as json.dumps joins a list
            seen = self._lists[id(outputs)] = (outputs, key)
        return seen[1]

    def _grid(self, grid: Any) -> str:
        seen = self._grids.get(id(grid))
        if seen is None:
            seen = self._grids[id(grid)] = (grid, json.dumps(grid, separators=(",", ":")))
        return seen[1]


def has_answer(node: TreeNode) -> bool:
    """True if the program produced at least one test output (errors produce none)."""
    return any(out is not None for out in node.get("test_outputs") or [])
